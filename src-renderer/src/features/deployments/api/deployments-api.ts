import { apiGet, apiSend, type ListPage } from '../../../lib/api-client';
import type { Deployment, HealthRow, ModelInfo } from '../../../types/gateway';

/** The fields the admin API takes on create (snake_case, unlike the camelCase view it answers with). */
export interface DeploymentInput {
  name: string;
  provider: string;
  model: string;
  endpoint: string;
  deployment?: string;
  /** Sent once, never shown again; omit on edit to keep the stored secret. */
  api_key?: string;
  api_version?: string | null;
  region?: string | null;
  rpm?: number;
  tpm?: number;
  hourly_tokens?: number;
  weight?: number;
  priority?: number;
  fast_mode?: boolean;
  enabled?: boolean;
  options?: Record<string, unknown>;
}

export type DeploymentPatch = Partial<Omit<DeploymentInput, 'name' | 'model' | 'provider'>>;

export interface DeploymentTestResult {
  ok: boolean;
  status: number | null;
  latency_ms: number | null;
  error: string | null;
}

const path = (name: string) => `/admin/api/deployments/${encodeURIComponent(name)}`;

export async function listDeployments(signal?: AbortSignal): Promise<Deployment[]> {
  return (await apiGet<ListPage<Deployment>>('/admin/api/deployments', signal)).data;
}

/** The health view (windows, cooldowns, last errors), polled more often than the configuration. */
export async function listHealth(signal?: AbortSignal): Promise<HealthRow[]> {
  return (await apiGet<ListPage<HealthRow>>('/admin/api/health', signal)).data;
}

export async function listModelIds(signal?: AbortSignal): Promise<{ id: string; modality: string }[]> {
  return (await apiGet<ListPage<ModelInfo>>('/admin/api/models', signal)).data.map((m) => ({ id: m.id, modality: m.modality }));
}

export function createDeployment(input: DeploymentInput): Promise<Deployment & { added_unpriced_model?: boolean }> {
  return apiSend('POST', '/admin/api/deployments', input);
}

export function updateDeployment(name: string, patch: DeploymentPatch): Promise<Deployment> {
  return apiSend('PATCH', path(name), patch);
}

export function removeDeployment(name: string): Promise<unknown> {
  return apiSend('DELETE', path(name));
}

export function testDeployment(name: string): Promise<DeploymentTestResult> {
  return apiSend('POST', `${path(name)}/test`);
}
