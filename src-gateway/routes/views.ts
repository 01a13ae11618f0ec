import type { ModelRecord } from '../db/catalog-repository.js';
import type { Deployment } from '../db/deployments-repository.js';
import { microsToUsd } from '../domain/pricing.js';
import { byRoutingPreference } from '../domain/routing.js';

const usd = (micros: number | null): number | null => (micros === null ? null : Number(microsToUsd(micros)));

/**
 * A catalog model in the `/models` list shape, with modality, provider, pricing (USD) and endpoints. `provider` is one
 * string: the provider of the enabled deployment the router favours (best priority, then weight), or the catalog's
 * when none is enabled. `providers` lists every provider of the enabled deployments in that order (`providers[0]` is
 * `provider`), or the catalog's alone.
 */
export function modelView(model: ModelRecord, deployments: readonly Deployment[]) {
  const p = model.price;
  const pricing: Record<string, number> = {};
  const add = (key: string, value: number | null) => {
    if (value !== null) pricing[key] = value;
  };
  add('input_per_mtok', usd(p.inputPerMtokMicros));
  add('cached_input_per_mtok', usd(p.cachedInputPerMtokMicros));
  add('cache_write_per_mtok', usd(p.cacheWritePerMtokMicros));
  add('output_per_mtok', usd(p.outputPerMtokMicros));
  add('per_image', usd(p.perImageMicros));
  add('per_second', usd(p.perSecondMicros));
  add('per_1k_chars', usd(p.per1kCharsMicros));
  add('per_1k_searches', usd(p.per1kSearchesMicros));
  const served = [...new Set(byRoutingPreference(deployments).map((d) => d.provider))];
  const providers = served.length > 0 ? served : [model.provider];
  return {
    id: model.id,
    object: 'model',
    created: 0,
    owned_by: 'omixa',
    modality: model.modality,
    provider: providers[0]!,
    providers,
    pricing,
    priced: model.priced,
    endpoints: model.endpoints,
    max_output_tokens: model.maxOutputTokens,
    context_window: model.contextWindow,
  };
}

/**
 * A listing served whole, in the shape every listing has (`{object, data, has_more, next_cursor}`), so clients page
 * through it like any other: one page, nothing after it. For results bounded by their query, e.g. usage rollups (one
 * row per bucket and model between `from` and `to`).
 */
export function wholeList<T>(data: T[]): { object: 'list'; data: T[]; has_more: false; next_cursor: null } {
  return { object: 'list', data, has_more: false, next_cursor: null };
}
