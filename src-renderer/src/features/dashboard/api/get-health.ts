import { apiGet } from '../../../lib/api-client';

/** `GET /health`. Only `status` is relied on; the rest is shown as-is. */
export interface Health {
  status?: string;
  [field: string]: unknown;
}

export function getHealth(signal?: AbortSignal): Promise<Health> {
  return apiGet<Health>('/health', signal);
}
