import { useMemo } from 'react';
import { useRequest } from '../../../hooks/use-request';
import type { Deployment, HealthRow } from '../../../types/gateway';
import { listDeployments, listHealth } from '../api/deployments-api';

export interface DeploymentWithHealth extends Deployment {
  live?: HealthRow;
}

/** Deployments (refreshed every 10 s) joined with the health view (every 2 s). */
export function useDeployments() {
  const deployments = useRequest(listDeployments, { pollMs: 10_000 });
  const health = useRequest(listHealth, { pollMs: 2_000 });
  const rows = useMemo<DeploymentWithHealth[] | undefined>(() => {
    if (deployments.status !== 'success') return undefined;
    const byId = new Map((health.status === 'success' ? health.data : []).map((h) => [h.id, h]));
    return deployments.data.map((d) => ({ ...d, live: byId.get(d.id) }));
  }, [deployments, health]);
  return { deployments, health, rows };
}
