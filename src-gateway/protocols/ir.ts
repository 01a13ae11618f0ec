/**
 * The gateway's one internal representation of a conversation: the OpenAI Chat Completions shapes (request, answer,
 * stream chunk). Every inbound protocol translates to and from it, every upstream provider translates from and to
 * it, so N inbound protocols × M providers need N + M translators. OpenAI-format upstreams and OpenAI clients skip
 * translation entirely (raw passthrough).
 */
import type { SseEvent } from '../streaming/sse-decoder.js';

export type IRRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface IRTextPart {
  type: 'text';
  text: string;
}

export interface IRImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export type IRContentPart = IRTextPart | IRImagePart | { type: string; [key: string]: unknown };

export interface IRToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface IRMessage {
  role: IRRole;
  content?: string | IRContentPart[] | null;
  name?: string;
  tool_calls?: IRToolCall[];
  tool_call_id?: string;
}

export interface IRTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type IRToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

/** A chat request in the IR: the OpenAI chat body (unknown fields pass through to OpenAI-format upstreams). */
export interface IRRequest {
  model: string;
  messages: IRMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  tools?: IRTool[] | null;
  tool_choice?: IRToolChoice | null;
  response_format?: { type: string; json_schema?: unknown } | null;
  reasoning_effort?: string | null;
  [key: string]: unknown;
}

export interface IRUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export type IRFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | null;

export interface IRResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: number; message: { role: 'assistant'; content: string | null; tool_calls?: IRToolCall[]; refusal?: string | null }; finish_reason: IRFinishReason }[];
  usage?: IRUsage;
}

export interface IRToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface IRChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: number; delta: { role?: 'assistant'; content?: string | null; tool_calls?: IRToolCallDelta[]; refusal?: string | null }; finish_reason: IRFinishReason }[];
  usage?: IRUsage | null;
}

/** Maps a provider's native stream events to IR chunks. `complete` turns true when the upstream finished properly. */
export interface StreamMapper {
  map(event: SseEvent): IRChunk[];
  end(): IRChunk[];
  readonly complete: boolean;
}

/** Writes IR chunks as an inbound protocol's stream events (each string is one SSE event without its blank line). */
export interface InboundStreamWriter {
  chunk(chunk: IRChunk): string[];
  done(): string[];
  error(message: string, code: string): string[];
}

export interface InboundContext {
  requestId: string;
  model: string;
  includeUsage: boolean;
  /** The gateway's count of the prompt's tokens, for protocols that state it before the answer (Anthropic's message_start). */
  promptTokens?: number;
}

/** A client-facing protocol: its request → IR, and IR answers → its answers. */
export interface InboundProtocol {
  readonly name: 'openai' | 'anthropic' | 'google' | 'responses';
  /** The usage row's `endpoint`. */
  readonly endpoint: string;
  /** OpenAI chat: OpenAI-format upstream bytes are forwarded untouched. */
  readonly passthrough: boolean;
  response(ir: IRResponse, ctx: InboundContext): unknown;
  stream(ctx: InboundContext): InboundStreamWriter;
}
