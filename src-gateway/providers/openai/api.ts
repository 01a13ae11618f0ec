import type { ProviderId } from '../../db/deployments-repository.js';
import type { ChatCallInput, Endpoint, JsonCallInput, MultipartCallInput, Provider, UpstreamCall } from '../types.js';
import { encodeMultipart } from '../multipart.js';
import { openAiWireMessages, probeBody } from '../openai-wire.js';

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
    body: JSON.stringify({ ...body, messages: openAiWireMessages(body.messages), model: deployment.deployment }),
  };
}

function bearer(secret: string): Record<string, string> {
  return secret && secret !== 'none' ? { authorization: `Bearer ${secret}` } : {};
}

/** `{base}/{operation}` with the OpenAI JSON body; the deployment is the upstream model name. */
function openAiJson(operation: string) {
  return ({ deployment, secret, body }: JsonCallInput): UpstreamCall => ({
    url: `${deployment.endpoint.replace(/\/+$/, '')}/${operation}`,
    headers: { 'content-type': 'application/json', ...bearer(secret) },
    body: JSON.stringify({ ...body, model: deployment.deployment }),
  });
}

function openAiMultipart(operation: string) {
  return ({ deployment, secret, fields, files }: MultipartCallInput): UpstreamCall => {
    const { contentType, body } = encodeMultipart({ ...fields, model: deployment.deployment }, files);
    return { url: `${deployment.endpoint.replace(/\/+$/, '')}/${operation}`, headers: { 'content-type': contentType, ...bearer(secret) }, body };
  };
}

const MEDIA_ENDPOINTS: Endpoint[] = ['embeddings', 'images.generations', 'images.edits', 'audio.speech', 'audio.transcriptions'];

function openAiLike(id: ProviderId): Provider {
  // OpenAI has no rerank endpoint; OpenAI-compatible servers (vLLM, Infinity, TEI, Jina, Cohere-style) often do.
  const rerank = id === 'openai-compatible';
  return {
    id,
    endpoints: ['chat', ...MEDIA_ENDPOINTS, ...(rerank ? (['rerank'] as const) : [])],
    chatCompletions,
    embeddings: openAiJson('embeddings'),
    imageGenerations: openAiJson('images/generations'),
    imageEdits: openAiMultipart('images/edits'),
    audioSpeech: openAiJson('audio/speech'),
    audioTranscriptions: openAiMultipart('audio/transcriptions'),
    ...(rerank ? { rerank: openAiJson('rerank') } : {}),
    probe: ({ deployment, secret }) =>
      chatCompletions({ deployment, secret, body: probeBody(deployment.model) }),
  };
}

export const openAiProvider = openAiLike('openai');
export const openAiCompatibleProvider = openAiLike('openai-compatible');
