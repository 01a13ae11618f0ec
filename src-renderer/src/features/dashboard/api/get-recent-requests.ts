import { apiGet, type ListPage } from '../../../lib/api-client';
import type { UsageRecord } from '../../../types/gateway';

/** The newest finished requests, to fill the live feed before events start arriving. */
export async function getRecentRequests(signal?: AbortSignal): Promise<UsageRecord[]> {
  const page = await apiGet<ListPage<UsageRecord>>('/admin/api/usage/requests?limit=25', signal);
  return page.data.filter((r) => r.status !== 'pending');
}
