import { newId } from '../ids.js';
import type { IRChunk, IRFinishReason, IRToolCallDelta, IRUsage, InboundStreamWriter } from './ir.js';
import {
  incompleteReasonOf,
  nowSeconds,
  responseObject,
  responsesUsage,
  type FunctionCallItem,
  type MessageItem,
  type OutputItem,
  type ResponseHead,
} from './responses-output.js';

/**
 * IR stream chunks → the Responses streaming events, each sent as soon as its chunk arrives:
 *
 *   response.created, response.in_progress,
 *   per text: output_item.added (message) → content_part.added → output_text.delta… → output_text.done →
 *             content_part.done → output_item.done,
 *   per call: output_item.added (function_call) → function_call_arguments.delta… → .done → output_item.done,
 *   response.completed (or response.incomplete when cut by max_output_tokens) with the full Response and usage;
 *   on failure response.failed and an `error` event.
 *
 * Every event carries `type` and a `sequence_number` that grows by one, and goes out with its `event:` name.
 * Items are closed in order: chat upstreams send content first, then tool calls one index after another.
 */
class ResponsesStreamWriter implements InboundStreamWriter {
  private sequence = 0;
  private started = false;
  private readonly output: OutputItem[] = [];
  /** The open assistant message and the index of its open content part. */
  private message: { item: MessageItem; index: number; part: number | null } | undefined;
  /** Function calls by their chat tool-call index. */
  private readonly calls = new Map<number, { item: FunctionCallItem; index: number; open: boolean }>();
  private finish: IRFinishReason = null;
  private usage: IRUsage | null = null;

  constructor(
    private readonly head: ResponseHead,
    private readonly onFinished?: (response: Record<string, unknown>) => void,
  ) {}

  chunk(chunk: IRChunk): string[] {
    const events: string[] = [];
    this.start(events);
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      // A Response has one output; the gateway never asks a chat upstream for more than one choice.
      if (choice.index !== 0) continue;
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string' && delta.content.length > 0) this.text('output_text', delta.content, events);
      if (typeof delta.refusal === 'string' && delta.refusal.length > 0) this.text('refusal', delta.refusal, events);
      for (const call of delta.tool_calls ?? []) this.toolCall(call, events);
      if (choice.finish_reason) {
        this.finish = choice.finish_reason;
        this.closeAll(events);
      }
    }
    return events;
  }

  done(): string[] {
    const events: string[] = [];
    this.start(events);
    // A turn with neither text nor calls still answers with an (empty) message, as the non-streamed answer does.
    if (this.output.length === 0) this.openPart('output_text', events);
    this.closeAll(events);
    const incompleteReason = incompleteReasonOf(this.finish);
    const response = responseObject(this.head, {
      status: incompleteReason ? 'incomplete' : 'completed',
      output: this.output,
      usage: responsesUsage(this.usage),
      incompleteReason,
      completedAt: nowSeconds(),
    });
    this.onFinished?.(response);
    events.push(this.event(incompleteReason ? 'response.incomplete' : 'response.completed', { response }));
    return events;
  }

  error(message: string, code: string): string[] {
    const events: string[] = [];
    this.start(events);
    // Items cut off mid-way stay in the snapshot, marked incomplete, so a client can see what arrived.
    for (const item of this.output) if (item.status === 'in_progress') item.status = 'incomplete';
    const response = responseObject(this.head, { status: 'failed', output: this.output, usage: responsesUsage(this.usage), error: { code: 'server_error', message } });
    events.push(this.event('response.failed', { response }));
    events.push(this.event('error', { code, message, param: null }));
    return events;
  }

  private event(type: string, payload: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.sequence++, ...payload })}`;
  }

  private start(events: string[]): void {
    if (this.started) return;
    this.started = true;
    const response = responseObject(this.head, { status: 'in_progress', output: [], usage: null });
    events.push(this.event('response.created', { response }));
    events.push(this.event('response.in_progress', { response }));
  }

  private openMessage(events: string[]): NonNullable<ResponsesStreamWriter['message']> {
    this.closeCall(events);
    const item: MessageItem = { id: newId('msg'), type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    this.message = { item, index: this.output.length, part: null };
    this.output.push(item);
    events.push(this.event('response.output_item.added', { output_index: this.message.index, item }));
    return this.message;
  }

  /** The open message's part of this kind, opening the message and the part as needed. */
  private openPart(kind: 'output_text' | 'refusal', events: string[]): NonNullable<ResponsesStreamWriter['message']> {
    const message = this.message ?? this.openMessage(events);
    const current = message.part === null ? undefined : message.item.content[message.part];
    if (current?.type === kind) return message;
    this.closePart(events);
    message.part = message.item.content.length;
    const part = kind === 'output_text' ? { type: kind, text: '', annotations: [], logprobs: [] } : { type: kind, refusal: '' };
    message.item.content.push(part as MessageItem['content'][number]);
    events.push(this.event('response.content_part.added', { item_id: message.item.id, output_index: message.index, content_index: message.part, part }));
    return message;
  }

  /** Appends text (or refusal text) to the open message. */
  private text(kind: 'output_text' | 'refusal', delta: string, events: string[]): void {
    const message = this.openPart(kind, events);
    const part = message.item.content[message.part!]!;
    const where = { item_id: message.item.id, output_index: message.index, content_index: message.part };
    if (part.type === 'output_text') {
      part.text += delta;
      events.push(this.event('response.output_text.delta', { ...where, delta, logprobs: [] }));
    } else {
      part.refusal += delta;
      events.push(this.event('response.refusal.delta', { ...where, delta }));
    }
  }

  private closePart(events: string[]): void {
    const message = this.message;
    if (!message || message.part === null) return;
    const part = message.item.content[message.part]!;
    const where = { item_id: message.item.id, output_index: message.index, content_index: message.part };
    if (part.type === 'output_text') events.push(this.event('response.output_text.done', { ...where, text: part.text, logprobs: [] }));
    else events.push(this.event('response.refusal.done', { ...where, refusal: part.refusal }));
    events.push(this.event('response.content_part.done', { ...where, part }));
    message.part = null;
  }

  private closeMessage(events: string[]): void {
    const message = this.message;
    if (!message) return;
    this.closePart(events);
    message.item.status = incompleteReasonOf(this.finish) ? 'incomplete' : 'completed';
    events.push(this.event('response.output_item.done', { output_index: message.index, item: message.item }));
    this.message = undefined;
  }

  private toolCall(delta: IRToolCallDelta, events: string[]): void {
    let call = this.calls.get(delta.index);
    if (!call) {
      this.closeMessage(events);
      this.closeCall(events);
      const item: FunctionCallItem = {
        id: newId('fc'),
        type: 'function_call',
        status: 'in_progress',
        call_id: delta.id ?? newId('call'),
        name: delta.function?.name ?? '',
        arguments: '',
      };
      call = { item, index: this.output.length, open: true };
      this.calls.set(delta.index, call);
      this.output.push(item);
      events.push(this.event('response.output_item.added', { output_index: call.index, item }));
    } else if (delta.function?.name && !call.item.name) {
      call.item.name = delta.function.name;
    }
    const args = delta.function?.arguments;
    if (!args) return;
    call.item.arguments += args;
    // A late fragment for an already closed call still lands in the final Response, but no event may follow its done.
    if (call.open) events.push(this.event('response.function_call_arguments.delta', { item_id: call.item.id, output_index: call.index, delta: args }));
  }

  private closeCall(events: string[]): void {
    for (const call of this.calls.values()) {
      if (!call.open) continue;
      call.open = false;
      call.item.status = 'completed';
      const { item } = call;
      events.push(this.event('response.function_call_arguments.done', { item_id: item.id, output_index: call.index, name: item.name, arguments: item.arguments }));
      events.push(this.event('response.output_item.done', { output_index: call.index, item }));
    }
  }

  private closeAll(events: string[]): void {
    this.closeMessage(events);
    this.closeCall(events);
  }
}

/** A Responses stream writer for one response; `onFinished` gets the final Response before its event is written. */
export function responsesStreamWriter(head: ResponseHead, onFinished?: (response: Record<string, unknown>) => void): InboundStreamWriter {
  return new ResponsesStreamWriter(head, onFinished);
}
