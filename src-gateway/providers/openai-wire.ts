import { gatewayError } from '../errors.js';
import { familyOf, mapReasoningEffort } from '../domain/reasoning.js';
import { MODEL_FAMILIES } from '../model-families.js';

type Part = Record<string, unknown>;

const isObject = (value: unknown): value is Part => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A content part only an Anthropic upstream understands: a cache breakpoint on a part, or a `document` block. */
const anthropicOnly = (part: unknown): boolean => isObject(part) && ('cache_control' in part || part.type === 'document');

/**
 * The IR's messages as the OpenAI wire takes them (OpenAI, Azure and OpenAI-compatible servers). The IR carries two
 * things from Anthropic clients that only Anthropic upstreams understand, and that OpenAI and Azure refuse:
 * `cache_control` on parts (OpenAI caches prompt prefixes on its own, so the breakpoints are dropped) and `document`
 * blocks, which become the OpenAI part with the same content: a base64 PDF a `file` part, text a `text` part. Messages
 * with neither are returned as they are, not copied.
 */
export function openAiWireMessages(messages: unknown): unknown {
  if (!Array.isArray(messages) || !messages.some((m) => isObject(m) && Array.isArray(m.content) && m.content.some(anthropicOnly))) return messages;
  return messages.map((m) => (isObject(m) && Array.isArray(m.content) ? { ...m, content: m.content.flatMap(openAiPart) } : m));
}

function openAiPart(part: unknown): unknown[] {
  if (!isObject(part)) return [part];
  if (part.type === 'document') return documentParts(part);
  const { cache_control: _cache, ...rest } = part;
  return [rest];
}

/** An Anthropic `document` block as OpenAI parts; a source the OpenAI wire cannot carry is the client's 400. */
function documentParts(block: Part): Part[] {
  const source = isObject(block.source) ? block.source : {};
  const title = typeof block.title === 'string' && block.title ? block.title : undefined;
  const titled = (text: string): Part => ({ type: 'text', text: title ? `${title}\n\n${text}` : text });
  if (source.type === 'text' && typeof source.data === 'string') return [titled(source.data)];
  if (source.type === 'base64' && typeof source.data === 'string' && typeof source.media_type === 'string') {
    return [{ type: 'file', file: { filename: title ?? 'document.pdf', file_data: `data:${source.media_type};base64,${source.data}` } }];
  }
  if (source.type === 'content' && Array.isArray(source.content) && source.content.every((b) => isObject(b) && b.type === 'text' && typeof b.text === 'string')) {
    return [titled((source.content as { text: string }[]).map((b) => b.text).join('\n\n'))];
  }
  throw gatewayError(
    'invalid_request',
    `This deployment speaks the OpenAI API, which takes documents only as base64 or text; a ${String(source.type ?? 'missing')} document source cannot be sent to it.`,
    { param: 'messages' },
  );
}

/**
 * The smallest chat call a deployment of `model` answers, for the deployment test: one output token as `max_tokens`;
 * for the families that refuse `max_tokens` (gpt-5, the o-series), a few tokens as `max_completion_tokens` at the
 * family's lowest reasoning effort, so that reasoning does not use up the limit before the answer starts.
 */
export function probeBody(model: string): Record<string, unknown> {
  const messages = [{ role: 'user', content: 'ping' }];
  if (!familyOf(model, MODEL_FAMILIES)?.maxTokensField) return { messages, max_tokens: 1, stream: false };
  const effort = mapReasoningEffort(model, 'none', MODEL_FAMILIES);
  return { messages, max_completion_tokens: 64, ...(effort ? { reasoning_effort: effort } : {}), stream: false };
}
