import type { ProviderId } from '../db/deployments-repository.js';
import type { Provider } from './types.js';
import { anthropicProvider } from './anthropic/api.js';
import { azureProvider } from './azure/api.js';
import { geminiProvider } from './gemini/api.js';
import { vertexProvider } from './vertex/api.js';
import { openAiCompatibleProvider, openAiProvider } from './openai/api.js';

/** The static provider map. Providers not yet implemented are absent; routing skips their deployments with a clear error. */
export const PROVIDER_MAP: Partial<Record<ProviderId, Provider>> = {
  azure: azureProvider,
  openai: openAiProvider,
  'openai-compatible': openAiCompatibleProvider,
  gemini: geminiProvider,
  vertex: vertexProvider,
  anthropic: anthropicProvider,
};

export function providerFor(id: ProviderId): Provider | undefined {
  return PROVIDER_MAP[id];
}
