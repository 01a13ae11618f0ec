import { apiGet, type ListPage } from '../../../lib/api-client';
import type { ClientKey, Deployment } from '../../../types/gateway';

export interface SetupProgress {
  /** Model ids with at least one enabled deployment, in the order deployments were added. */
  servedModels: string[];
  deploymentCount: number;
  activeKeyCount: number;
}

/** What is set up so far: deployments and live client keys. */
export async function getSetupProgress(signal?: AbortSignal): Promise<SetupProgress> {
  const [deployments, keys] = await Promise.all([
    apiGet<ListPage<Deployment>>('/admin/api/deployments', signal),
    apiGet<ListPage<ClientKey>>('/admin/api/keys', signal),
  ]);
  return {
    servedModels: [...new Set(deployments.data.filter((d) => d.enabled).map((d) => d.model))],
    deploymentCount: deployments.data.length,
    activeKeyCount: keys.data.filter((k) => !k.revokedAt).length,
  };
}
