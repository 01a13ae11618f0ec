import { gatewayError } from '../errors.js';

/** A time filter given as unix seconds, unix milliseconds or an ISO date; returned in unix milliseconds. */
export function parseTime(value: string | undefined, param: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d{1,10}$/.test(value)) return Number(value) * 1000;
  if (/^\d{13}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw gatewayError('invalid_request', `'${param}' must be unix seconds or an ISO 8601 date.`, { param });
  return parsed;
}

export function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw gatewayError('invalid_request', "'limit' must be a positive integer (max 500).", { param: 'limit' });
  return Number(value);
}

export function parseGranularity(value: string | undefined): 'hour' | 'day' {
  if (value === undefined || value === '' || value === 'hour') return 'hour';
  if (value === 'day') return 'day';
  throw gatewayError('invalid_request', "'granularity' must be hour or day.", { param: 'granularity' });
}
