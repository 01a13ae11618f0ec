/**
 * Anthropic Messages wire shapes and the small mappings both directions share: the inbound protocol (Anthropic
 * clients) and the `anthropic` provider (Anthropic upstreams). Kept here, not in either side, so neither imports
 * the other.
 */
import type { IRFinishReason, IRUsage } from './ir.js';

/** The `anthropic-version` the gateway speaks, upstream and towards clients. */
export const ANTHROPIC_VERSION = '2023-06-01';

export interface AnthropicCacheControl {
  type: 'ephemeral';
  ttl?: string;
}

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
  cache_control?: AnthropicCacheControl;
}

export type AnthropicImageSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };

export interface AnthropicImageBlock {
  type: 'image';
  source: AnthropicImageSource;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | (AnthropicTextBlock | AnthropicImageBlock)[];
  is_error?: boolean;
  cache_control?: AnthropicCacheControl;
}

export type AnthropicBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicToolUseBlock | AnthropicToolResultBlock | { type: string; [key: string]: unknown };

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

/** A non-streamed Messages answer. */
export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

const FINISH_BY_STOP: Record<string, IRFinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** Anthropic `stop_reason` → OpenAI `finish_reason`; an unknown reason reads as a normal stop. */
export function finishReasonOf(stop: unknown): IRFinishReason {
  if (stop === null || stop === undefined) return null;
  return FINISH_BY_STOP[String(stop)] ?? 'stop';
}

/** OpenAI `finish_reason` → Anthropic `stop_reason`. */
export function stopReasonOf(finish: IRFinishReason | undefined): AnthropicStopReason {
  if (finish === 'length') return 'max_tokens';
  if (finish === 'tool_calls') return 'tool_use';
  if (finish === 'content_filter') return 'refusal';
  return 'end_turn';
}

const tokens = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);

/**
 * Anthropic usage → IR usage. Anthropic's `input_tokens` excludes the cache reads and writes, while OpenAI's
 * `prompt_tokens` includes its cached part: the IR prompt is the sum, with both cache counts in the details.
 */
export function irUsageOf(usage: Partial<AnthropicUsage> | null | undefined): IRUsage {
  const input = tokens(usage?.input_tokens);
  const cacheRead = tokens(usage?.cache_read_input_tokens);
  const cacheWrite = tokens(usage?.cache_creation_input_tokens);
  const output = tokens(usage?.output_tokens);
  const prompt = input + cacheRead + cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_write_tokens: cacheWrite },
  };
}

/** IR usage → Anthropic usage: the inverse of `irUsageOf`, so a round trip is lossless. */
export function anthropicUsageOf(usage: IRUsage | null | undefined): Required<AnthropicUsage> {
  const cacheRead = tokens(usage?.prompt_tokens_details?.cached_tokens);
  const cacheWrite = tokens(usage?.prompt_tokens_details?.cache_write_tokens);
  return {
    input_tokens: Math.max(0, tokens(usage?.prompt_tokens) - cacheRead - cacheWrite),
    output_tokens: tokens(usage?.completion_tokens),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

/** An OpenAI `image_url` (data URL or http(s) URL) as an Anthropic image source; undefined for anything else. */
export function imageSourceOf(url: string): AnthropicImageSource | undefined {
  const match = DATA_URL.exec(url);
  if (match) return { type: 'base64', media_type: match[1]!, data: match[2]! };
  if (/^https?:\/\//i.test(url)) return { type: 'url', url };
  return undefined;
}

/** An Anthropic image source as an OpenAI `image_url` URL. */
export function imageUrlOf(source: AnthropicImageSource): string {
  return source.type === 'base64' ? `data:${source.media_type};base64,${source.data}` : source.url;
}

/** The Message id for a gateway request: `msg_` + the request id's random part, so support can match the two. */
export function messageIdFor(requestId: string): string {
  return `msg_${requestId.replace(/^req_/, '')}`;
}
