import { apiGet, withQuery, type ListPage } from '../../../lib/api-client';
import type { RollupRow, UsageRecord } from '../../../types/gateway';

export interface RequestFilters {
  model: string;
  status: string;
  /** `datetime-local` values (local time), '' = open. */
  from: string;
  to: string;
}

/** A `datetime-local` value as an ISO instant for the API. */
function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function listRequests(filters: RequestFilters, cursor: string | null, signal?: AbortSignal): Promise<ListPage<UsageRecord>> {
  return apiGet(
    withQuery('/admin/api/usage/requests', { model: filters.model, status: filters.status, from: toIso(filters.from), to: toIso(filters.to), cursor, limit: 50 }),
    signal,
  );
}

export async function getRollups(granularity: 'hour' | 'day', fromMs: number, signal?: AbortSignal): Promise<RollupRow[]> {
  const page = await apiGet<ListPage<RollupRow>>(withQuery('/admin/api/usage/rollups', { granularity, from: new Date(fromMs).toISOString(), group_by: 'model' }), signal);
  return page.data;
}

export function getRequest(id: string, signal?: AbortSignal): Promise<UsageRecord> {
  return apiGet(`/admin/api/usage/requests/${encodeURIComponent(id)}`, signal);
}

export async function listModelIds(signal?: AbortSignal): Promise<string[]> {
  return (await apiGet<ListPage<{ id: string }>>('/admin/api/models', signal)).data.map((m) => m.id);
}
