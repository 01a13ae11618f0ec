import type { ChatCallInput, Provider, UpstreamCall } from '../types.js';
import { toGeminiRequest } from './request.js';
import { fromGeminiResponse, geminiStreamMapper } from './response.js';

/** The Gemini API's public base, for deployments added without an endpoint of their own. */
export const GEMINI_DEFAULT_ENDPOINT = 'https://generativelanguage.googleapis.com';

/** The Gemini action for a call: streams always ask for SSE (without `alt=sse` Google streams one JSON array). */
export function geminiAction(stream: unknown): string {
  return stream === true ? 'streamGenerateContent?alt=sse' : 'generateContent';
}

/**
 * Gemini API: `ENDPOINT/v1beta/models/{deployment}:generateContent` (or `:streamGenerateContent?alt=sse`) with the key
 * in `x-goog-api-key`, never in the URL, so it stays out of access logs.
 */
export function geminiChatUrl(endpoint: string, model: string, stream: unknown): string {
  const base = (endpoint || GEMINI_DEFAULT_ENDPOINT).replace(/\/+$/, '').replace(/\/v1beta$/, '');
  return `${base}/v1beta/models/${encodeURIComponent(model)}:${geminiAction(stream)}`;
}

function chatCompletions({ deployment, secret, body }: ChatCallInput): UpstreamCall {
  return {
    url: geminiChatUrl(deployment.endpoint, deployment.deployment, body.stream),
    headers: { 'content-type': 'application/json', 'x-goog-api-key': secret },
    body: JSON.stringify(toGeminiRequest(body, deployment.deployment)),
  };
}

/** The Google AI Studio / Gemini API provider (`provider: "gemini"`). */
export const geminiProvider: Provider = {
  id: 'gemini',
  endpoints: ['chat'],
  chatCompletions,
  chatResponse: fromGeminiResponse,
  chatStream: geminiStreamMapper,
  probe: ({ deployment, secret }) =>
    chatCompletions({ deployment, secret, body: { messages: [{ role: 'user', content: 'ping' }], max_tokens: 1, stream: false } }),
};
