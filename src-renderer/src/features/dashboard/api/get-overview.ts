import { apiGet } from '../../../lib/api-client';

/** `GET /admin/api/overview`: counts and today's totals (UTC day). */
export interface Overview {
  version: string;
  accounts: number;
  deployments: { total: number; enabled: number };
  today: { requests: number; errors: number; cost_micros: number; prompt_tokens: number; completion_tokens: number };
  secret_backend: string;
}

export function getOverview(signal?: AbortSignal): Promise<Overview> {
  return apiGet<Overview>('/admin/api/overview', signal);
}
