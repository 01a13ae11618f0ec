import { anthropicErrorBody, ERROR_CATALOGUE, gatewayError, type ErrorCode } from '../errors.js';
import type { InboundContext, InboundStreamWriter, IRChunk, IRFinishReason, IRUsage } from './ir.js';
import { anthropicUsageOf, messageIdFor, stopReasonOf } from './anthropic-wire.js';

/** One SSE event with its `event:` name; Anthropic SDKs dispatch on the name and skip events without one. */
const event = (name: string, data: object): string => `event: ${name}\ndata: ${JSON.stringify(data)}`;

type OpenBlock = { kind: 'text' } | { kind: 'tool'; toolIndex: number; id: string };

/**
 * IR chunks as Anthropic's stream: `message_start` and a `ping` before anything else, content blocks opened and
 * closed as the answer switches between text and tool calls (`text_delta`, `input_json_delta`), then
 * `message_delta` (stop reason, usage) and `message_stop` once the upstream finished. Usage arrives at the end of an
 * OpenAI stream, so `message_start` reports zero tokens and `message_delta` the totals (the SDKs take both).
 */
export function anthropicStreamWriter(ctx: InboundContext): InboundStreamWriter {
  const messageId = messageIdFor(ctx.requestId);
  let started = false;
  let nextBlock = 0;
  let open: OpenBlock | undefined;
  let finish: IRFinishReason = null;
  let usage: IRUsage | undefined;

  const start = (out: string[]): void => {
    if (started) return;
    started = true;
    out.push(
      event('message_start', {
        type: 'message_start',
        message: {
          id: messageId,
          type: 'message',
          role: 'assistant',
          model: ctx.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // The upstream's count comes with the answer's end (message_delta); until then, the gateway's own.
          usage: { input_tokens: ctx.promptTokens ?? 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
      }),
      event('ping', { type: 'ping' }),
    );
  };

  const close = (out: string[]): void => {
    if (!open) return;
    out.push(event('content_block_stop', { type: 'content_block_stop', index: nextBlock - 1 }));
    open = undefined;
  };

  const text = (out: string[], piece: string): void => {
    if (open?.kind !== 'text') {
      close(out);
      out.push(event('content_block_start', { type: 'content_block_start', index: nextBlock++, content_block: { type: 'text', text: '' } }));
      open = { kind: 'text' };
    }
    out.push(event('content_block_delta', { type: 'content_block_delta', index: nextBlock - 1, delta: { type: 'text_delta', text: piece } }));
  };

  const toolCall = (out: string[], call: NonNullable<IRChunk['choices'][number]['delta']['tool_calls']>[number]): void => {
    // OpenAI sends a call's id and name once, then argument pieces under the same index; some upstreams repeat the id.
    if (open?.kind !== 'tool' || open.toolIndex !== call.index || (call.id && call.id !== open.id)) {
      close(out);
      const id = call.id || `toolu_${messageId.slice(4)}_${call.index}`;
      out.push(event('content_block_start', { type: 'content_block_start', index: nextBlock++, content_block: { type: 'tool_use', id, name: call.function?.name ?? '', input: {} } }));
      open = { kind: 'tool', toolIndex: call.index, id };
    }
    const args = call.function?.arguments;
    if (args) out.push(event('content_block_delta', { type: 'content_block_delta', index: nextBlock - 1, delta: { type: 'input_json_delta', partial_json: args } }));
  };

  return {
    chunk(chunk) {
      const out: string[] = [];
      start(out);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.find((c) => c.index === 0) ?? chunk.choices?.[0];
      if (!choice) return out;
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string' && delta.content.length > 0) text(out, delta.content);
      for (const call of delta.tool_calls ?? []) toolCall(out, call);
      if (choice.finish_reason) finish = choice.finish_reason;
      return out;
    },
    done() {
      const out: string[] = [];
      start(out);
      close(out);
      const { input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens } = anthropicUsageOf(usage);
      out.push(
        event('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: stopReasonOf(finish), stop_sequence: null },
          usage: { input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens },
        }),
        event('message_stop', { type: 'message_stop' }),
      );
      return out;
    },
    error(message, code) {
      const error = code in ERROR_CATALOGUE ? gatewayError(code as ErrorCode, message) : gatewayError('upstream_error', message);
      return [event('error', anthropicErrorBody(error))];
    },
  };
}
