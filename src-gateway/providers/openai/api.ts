import type { ProviderId } from '../../db/deployments-repository.js';
import type { ChatCallInput, Provider, UpstreamCall } from '../types.js';

/**
 * OpenAI and any OpenAI-compatible server (Ollama, vLLM, LM Studio, xAI, …): the endpoint is the base URL including
 * `/v1`, the secret a Bearer token, the deployment the upstream model name.
 */
function chatCompletions({ deployment, secret, body }: ChatCallInput): UpstreamCall {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // Local servers often run without a key; "none" lets the admin say so explicitly.
  if (secret && secret !== 'none') headers.authorization = `Bearer ${secret}`;
  return {
    url: `${deployment.endpoint.replace(/\/+$/, '')}/chat/completions`,
    headers,
    body: JSON.stringify({ ...body, model: deployment.deployment }),
  };
}

function openAiLike(id: ProviderId): Provider {
  return {
    id,
    endpoints: ['chat'],
    chatCompletions,
    probe: ({ deployment, secret }) =>
      chatCompletions({ deployment, secret, body: { messages: [{ role: 'user', content: 'ping' }], max_tokens: 1, stream: false } }),
  };
}

export const openAiProvider = openAiLike('openai');
export const openAiCompatibleProvider = openAiLike('openai-compatible');
