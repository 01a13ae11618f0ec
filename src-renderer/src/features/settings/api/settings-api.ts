import { apiGet, apiSend } from '../../../lib/api-client';
import type { GatewaySettings } from '../../../types/gateway';

export function getSettings(signal?: AbortSignal): Promise<GatewaySettings> {
  return apiGet('/admin/api/settings', signal);
}

export function updateSettings(patch: { require_signature?: boolean; self_top_up?: boolean }): Promise<GatewaySettings> {
  return apiSend('PATCH', '/admin/api/settings', patch);
}

/** Issues a new admin token; the old one stops working at once. */
export async function rotateAdminToken(): Promise<string> {
  return (await apiSend<{ token: string }>('POST', '/admin/api/admin-token/rotate')).token;
}

export interface DoctorReport {
  ledger_ok: boolean;
  violations: Record<string, unknown>;
  integrity: string;
}

export function runDoctor(): Promise<DoctorReport> {
  return apiGet('/admin/api/doctor');
}
