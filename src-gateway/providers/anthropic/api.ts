import { ANTHROPIC_VERSION } from '../../protocols/anthropic-wire.js';
import type { ChatCallInput, Provider, UpstreamCall } from '../types.js';
import { toMessagesRequest } from './messages-request.js';
import { createMessagesStreamMapper, fromMessage } from './messages-response.js';

/**
 * `ENDPOINT/v1/messages`. The endpoint is the API base as Anthropic's console shows it (`https://api.anthropic.com`);
 * one entered with a trailing `/v1` is accepted too rather than producing `/v1/v1/messages`.
 */
export function anthropicMessagesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/messages`;
}

function chatCompletions({ deployment, secret, body, maxOutputTokens }: ChatCallInput): UpstreamCall {
  return {
    url: anthropicMessagesUrl(deployment.endpoint),
    headers: { 'content-type': 'application/json', 'x-api-key': secret, 'anthropic-version': ANTHROPIC_VERSION },
    body: JSON.stringify(toMessagesRequest(body, { model: deployment.deployment, maxOutputTokens })),
  };
}

/**
 * Anthropic's Messages API as a chat upstream: the IR request is translated to a Messages request, the answer and
 * the native event stream back to IR (see the translation files next to this one).
 */
export const anthropicProvider: Provider = {
  id: 'anthropic',
  endpoints: ['chat'],
  chatCompletions,
  chatResponse: fromMessage,
  chatStream: createMessagesStreamMapper,
  probe: ({ deployment, secret }) =>
    chatCompletions({ deployment, secret, body: { messages: [{ role: 'user', content: 'ping' }], max_tokens: 1, stream: false } }),
};
