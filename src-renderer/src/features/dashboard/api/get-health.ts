import { apiGet, type ListPage } from '../../../lib/api-client';
import type { HealthRow } from '../../../types/gateway';

/** `GET /admin/api/health`: each deployment's windows, cooldown and last error. */
export async function getHealth(signal?: AbortSignal): Promise<HealthRow[]> {
  return (await apiGet<ListPage<HealthRow>>('/admin/api/health', signal)).data;
}
