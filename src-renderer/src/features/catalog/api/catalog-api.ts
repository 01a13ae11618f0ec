import { apiGet, apiSend, type ListPage } from '../../../lib/api-client';
import type { Deployment, ModelInfo, PriceField } from '../../../types/gateway';

export interface CatalogModel extends ModelInfo {
  /** Deployments serving this model (enabled ones count toward "served"). */
  deployments: { name: string; enabled: boolean }[];
}

/** The catalog joined with the deployments that serve each model. */
export async function listCatalog(signal?: AbortSignal): Promise<CatalogModel[]> {
  const [models, deployments] = await Promise.all([
    apiGet<ListPage<ModelInfo>>('/admin/api/models', signal),
    apiGet<ListPage<Deployment>>('/admin/api/deployments', signal),
  ]);
  return models.data.map((m) => ({
    ...m,
    deployments: deployments.data.filter((d) => d.model === m.id).map((d) => ({ name: d.name, enabled: d.enabled })),
  }));
}

/** USD amounts as decimal strings; `null` clears a price, an absent field keeps it. */
export type PricePatch = Partial<Record<PriceField, string | null>>;

export function setModelPrice(modelId: string, patch: PricePatch): Promise<ModelInfo> {
  return apiSend('PATCH', `/admin/api/models/${encodeURIComponent(modelId)}/price`, patch);
}
