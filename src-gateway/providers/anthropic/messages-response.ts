import type { IRChunk, IRFinishReason, IRResponse, IRToolCall, IRToolCallDelta, StreamMapper } from '../../protocols/ir.js';
import { finishReasonOf, irUsageOf, type AnthropicMessage, type AnthropicUsage } from '../../protocols/anthropic-wire.js';
import type { SseEvent } from '../../streaming/sse-decoder.js';

/**
 * Anthropic answers → IR: a non-streamed Message (`fromMessage`) and the native event stream
 * (`createMessagesStreamMapper`, one event at a time through `mapMessagesEvent` with a typed state).
 */

/** Thrown (and turned into `upstream_error` by the pipeline) when the upstream answer is not a Message. */
export class NotAMessageError extends Error {}

/**
 * An Anthropic Message as an IR (OpenAI chat) response: text blocks joined into `content`, `tool_use` blocks as
 * `tool_calls` with their input as a JSON string, the stop reason as a finish reason and the usage with the cache
 * reads and writes folded into `prompt_tokens` (see `irUsageOf`). Thinking blocks have no IR form and are dropped.
 */
export function fromMessage(body: unknown, model: string): IRResponse {
  const message = body as Partial<AnthropicMessage> | null;
  if (!message || typeof message !== 'object' || !Array.isArray(message.content)) throw new NotAMessageError('not an Anthropic message');
  let text = '';
  let hasText = false;
  const toolCalls: IRToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text' && typeof block.text === 'string') {
      text += block.text;
      hasText = true;
    } else if (block.type === 'tool_use') {
      const use = block as { id?: unknown; name?: unknown; input?: unknown };
      toolCalls.push({
        id: String(use.id ?? ''),
        type: 'function',
        function: { name: String(use.name ?? ''), arguments: JSON.stringify(use.input ?? {}) },
      });
    }
  }
  const answer: IRResponse['choices'][number]['message'] = { role: 'assistant', content: hasText || toolCalls.length === 0 ? text : null };
  if (toolCalls.length > 0) answer.tool_calls = toolCalls;
  return {
    id: typeof message.id === 'string' ? message.id : 'msg_unknown',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: answer, finish_reason: finishReasonOf(message.stop_reason) ?? 'stop' }],
    usage: irUsageOf(message.usage),
  };
}

/** The fields of Anthropic stream events the mapper reads. */
export interface MessagesStreamEvent {
  type?: string;
  index?: number;
  message?: { id?: string; usage?: Partial<AnthropicUsage> };
  content_block?: { type?: string; id?: string; name?: string; text?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: Partial<AnthropicUsage>;
}

/** Mapper state: the message id, the tool calls opened so far, and usage as it accumulates. */
export interface MessagesStreamState {
  id: string;
  created: number;
  /** Content block index → OpenAI tool call index (tool calls are numbered on their own, from 0). */
  toolIndexByBlock: Map<number, number>;
  usage: Partial<AnthropicUsage>;
  finish: IRFinishReason;
  complete: boolean;
}

type Delta = IRChunk['choices'][number]['delta'];

function chunk(state: MessagesStreamState, model: string, delta: Delta, finish: IRFinishReason = null): IRChunk {
  return { id: state.id, object: 'chat.completion.chunk', created: state.created, model, choices: [{ index: 0, delta, finish_reason: finish }] };
}

/** Overwrites the counters an event reports: Anthropic's stream usage values are running totals, never increments. */
function mergeUsage(into: Partial<AnthropicUsage>, from: Partial<AnthropicUsage> | undefined): void {
  if (!from) return;
  for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
    const value = from[key];
    if (typeof value === 'number') into[key] = value;
  }
}

/** One Anthropic stream event → IR chunks. Pure apart from updating `state`. */
export function mapMessagesEvent(event: MessagesStreamEvent, state: MessagesStreamState, model: string): IRChunk[] {
  switch (event.type) {
    case 'message_start':
      if (typeof event.message?.id === 'string') state.id = event.message.id;
      mergeUsage(state.usage, event.message?.usage);
      return [chunk(state, model, { role: 'assistant', content: '' })];
    case 'content_block_start': {
      const block = event.content_block;
      if (block?.type === 'tool_use' && typeof event.index === 'number') {
        const toolIndex = state.toolIndexByBlock.size;
        state.toolIndexByBlock.set(event.index, toolIndex);
        // Index, id and name first with empty arguments, as OpenAI streams a tool call's start.
        const call: IRToolCallDelta = { index: toolIndex, id: block.id ?? '', type: 'function', function: { name: block.name ?? '', arguments: '' } };
        return [chunk(state, model, { tool_calls: [call] })];
      }
      if (block?.type === 'text' && block.text) return [chunk(state, model, { content: block.text })];
      return [];
    }
    case 'content_block_delta': {
      const delta = event.delta;
      if (delta?.type === 'text_delta' && delta.text) return [chunk(state, model, { content: delta.text })];
      if (delta?.type === 'input_json_delta' && delta.partial_json) {
        const toolIndex = typeof event.index === 'number' ? state.toolIndexByBlock.get(event.index) : undefined;
        if (toolIndex === undefined) return [];
        return [chunk(state, model, { tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] })];
      }
      // thinking, signature and citation deltas have no IR form.
      return [];
    }
    case 'message_delta':
      mergeUsage(state.usage, event.usage);
      state.finish = finishReasonOf(event.delta?.stop_reason) ?? state.finish;
      return [chunk(state, model, {}, state.finish ?? 'stop')];
    case 'message_stop':
      state.complete = true;
      return [{ id: state.id, object: 'chat.completion.chunk', created: state.created, model, choices: [], usage: irUsageOf(state.usage) }];
    default:
      // ping, content_block_stop, and error (the stream then never reaches message_stop, so it is not complete).
      return [];
  }
}

/**
 * Anthropic's native stream (`message_start` … `message_stop`) as IR chunks: a role chunk, content and tool call
 * deltas, a finish chunk at `message_delta` and, at `message_stop`, the usage chunk with empty `choices`.
 * `complete` turns true only at `message_stop`: an `error` event or a cut stream leaves it false.
 */
export function createMessagesStreamMapper(model: string): StreamMapper {
  const state: MessagesStreamState = {
    id: 'msg_pending',
    created: Math.floor(Date.now() / 1000),
    toolIndexByBlock: new Map(),
    usage: {},
    finish: null,
    complete: false,
  };
  return {
    get complete() {
      return state.complete;
    },
    map(event: SseEvent): IRChunk[] {
      if (event.data === null || state.complete) return [];
      let parsed: MessagesStreamEvent;
      try {
        parsed = JSON.parse(event.data) as MessagesStreamEvent;
      } catch {
        return []; // a malformed frame carries nothing the client can use
      }
      if (!parsed || typeof parsed !== 'object') return [];
      return mapMessagesEvent(parsed, state, model);
    },
    end: () => [],
  };
}
