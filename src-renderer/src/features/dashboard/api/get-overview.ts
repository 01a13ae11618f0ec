import { apiGet } from '../../../lib/api-client';

/** `GET /admin/api/overview`. Its shape is not settled yet, so the dashboard renders the fields generically. */
export type Overview = Record<string, unknown>;

export function getOverview(signal?: AbortSignal): Promise<Overview> {
  return apiGet<Overview>('/admin/api/overview', signal);
}
