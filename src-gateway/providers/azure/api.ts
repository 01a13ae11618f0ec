import type { ChatCallInput, JsonCallInput, MultipartCallInput, Provider, UpstreamCall } from '../types.js';
import { encodeMultipart } from '../multipart.js';
import { openAiWireMessages, probeBody } from '../openai-wire.js';

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
    body: JSON.stringify({ ...body, messages: openAiWireMessages(body.messages), model: deployment.deployment }),
  };
}

/**
 * Any other data-plane operation (`embeddings`, `images/generations`, `audio/speech`, …) on the same two URL shapes as
 * chat: per deployment with `api-version`, or `/openai/v1/{operation}` with the deployment named in the body.
 */
export function azureOperationUrl(endpoint: string, deployment: string, apiVersion: string | null, operation: string): string {
  const base = endpoint.replace(/\/+$/, '');
  if (apiVersion === 'v1') return `${base.replace(/\/openai\/v1$/, '')}/openai/v1/${operation}`;
  const version = encodeURIComponent(apiVersion ?? DEFAULT_AZURE_API_VERSION);
  return `${base}/openai/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${version}`;
}

function azureJson(operation: string) {
  return ({ deployment, secret, body }: JsonCallInput): UpstreamCall => ({
    url: azureOperationUrl(deployment.endpoint, deployment.deployment, deployment.apiVersion, operation),
    headers: { 'content-type': 'application/json', 'api-key': secret },
    body: JSON.stringify({ ...body, model: deployment.deployment }),
  });
}

function azureMultipart(operation: string) {
  return ({ deployment, secret, fields, files }: MultipartCallInput): UpstreamCall => {
    const { contentType, body } = encodeMultipart({ ...fields, model: deployment.deployment }, files);
    return {
      url: azureOperationUrl(deployment.endpoint, deployment.deployment, deployment.apiVersion, operation),
      headers: { 'content-type': contentType, 'api-key': secret },
      body,
    };
  };
}

export const azureProvider: Provider = {
  id: 'azure',
  endpoints: ['chat', 'embeddings', 'images.generations', 'images.edits', 'audio.speech', 'audio.transcriptions'],
  chatCompletions,
  embeddings: azureJson('embeddings'),
  imageGenerations: azureJson('images/generations'),
  imageEdits: azureMultipart('images/edits'),
  audioSpeech: azureJson('audio/speech'),
  audioTranscriptions: azureMultipart('audio/transcriptions'),
  probe: ({ deployment, secret }) =>
    chatCompletions({ deployment, secret, body: probeBody(deployment.model) }),
};
