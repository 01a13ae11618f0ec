import type { ChatCallInput, Provider, UpstreamCall } from '../types.js';

/** Azure OpenAI's default data-plane version when a deployment names none. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

/**
 * Azure OpenAI: `ENDPOINT/openai/deployments/{deployment}/chat/completions?api-version=…` with the `api-key` header,
 * or the version-less `ENDPOINT/openai/v1/chat/completions` (deployment name in `model`) when `api_version` is `v1`.
 */
export function azureChatUrl(endpoint: string, deployment: string, apiVersion: string | null): string {
  const base = endpoint.replace(/\/+$/, '');
  if (apiVersion === 'v1') return `${base.replace(/\/openai\/v1$/, '')}/openai/v1/chat/completions`;
  const version = encodeURIComponent(apiVersion ?? DEFAULT_AZURE_API_VERSION);
  return `${base}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions?api-version=${version}`;
}

function chatCompletions({ deployment, secret, body }: ChatCallInput): UpstreamCall {
  return {
    url: azureChatUrl(deployment.endpoint, deployment.deployment, deployment.apiVersion),
    headers: { 'content-type': 'application/json', 'api-key': secret },
    body: JSON.stringify({ ...body, model: deployment.deployment }),
  };
}

export const azureProvider: Provider = {
  id: 'azure',
  endpoints: ['chat'],
  chatCompletions,
  probe: ({ deployment, secret }) =>
    chatCompletions({ deployment, secret, body: { messages: [{ role: 'user', content: 'ping' }], max_tokens: 1, stream: false } }),
};
