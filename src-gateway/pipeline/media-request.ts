import { gatewayError } from '../errors.js';

/**
 * Field checks shared by the non-chat request parsers. Each failure is a 400 `invalid_request` naming the field in
 * `param`, so a client sees which field to fix and never a 500.
 */

export type JsonBody = Record<string, unknown>;

/** The body as a JSON object, or 400. */
export function requireBody(body: unknown): JsonBody {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw gatewayError('invalid_request', 'The request body must be a JSON object.');
  return body as JsonBody;
}

/** A required non-empty string. */
export function requireString(body: JsonBody, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) throw gatewayError('invalid_request', `'${name}' is required and must be a non-empty string.`, { param: name });
  return value;
}

/** An optional integer within [min, max]; numeric strings are accepted (multipart fields are text). */
export function optionalInt(body: JsonBody, name: string, min: number, max: number): number | undefined {
  const raw = body[name];
  if (raw === undefined || raw === null) return undefined;
  const value = typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw gatewayError('invalid_request', `'${name}' must be an integer from ${min} to ${max}.`, { param: name });
  }
  return value;
}

/** An optional value out of a closed list. */
export function optionalEnum<T extends string>(body: JsonBody, name: string, allowed: readonly T[]): T | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw gatewayError('invalid_request', `'${name}' must be one of ${allowed.join(', ')}.`, { param: name });
  }
  return value as T;
}

/** Streaming variants some of these endpoints have upstream are not offered by the gateway yet: say so plainly. */
export function refuseStream(body: JsonBody): void {
  if (body.stream === true || body.stream === 'true') {
    throw gatewayError('invalid_request', "'stream' is not supported on this endpoint.", { param: 'stream' });
  }
}

/** Multipart text fields (a repeated field is an array) from a JSON body: scalars as text, objects as JSON. */
export function toFields(body: JsonBody, omit: readonly string[] = []): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(body)) {
    if (omit.includes(name) || value === undefined || value === null) continue;
    if (Array.isArray(value)) out[name.endsWith('[]') ? name : `${name}[]`] = value.map(fieldText);
    else out[name] = fieldText(value);
  }
  return out;
}

function fieldText(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** A multipart field's single value (the first one when repeated). */
export function fieldValue(fields: Record<string, string | string[]>, name: string): string | undefined {
  const value = fields[name];
  return Array.isArray(value) ? value[0] : value;
}
