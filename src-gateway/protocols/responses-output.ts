import { newId } from '../ids.js';
import type { IRFinishReason, IRResponse, IRUsage } from './ir.js';
import type { ResponsesRequest } from './responses.js';

/**
 * The OpenAI Responses API as an inbound protocol, answer side: the Response object built from an IR answer (and,
 * in `responses-stream.ts`, from IR stream chunks). The request's settings are echoed back as OpenAI does, so a
 * client reading `response.tools` or `response.max_output_tokens` sees what it sent.
 */

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

export interface OutputRefusal {
  type: 'refusal';
  refusal: string;
}

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface MessageItem {
  id: string;
  type: 'message';
  status: ItemStatus;
  role: 'assistant';
  content: (OutputText | OutputRefusal)[];
}

export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  status: ItemStatus;
  call_id: string;
  name: string;
  arguments: string;
}

export type OutputItem = MessageItem | FunctionCallItem;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** What a Response object says about its outcome; the rest comes from the request. */
export interface ResponseState {
  status: ResponseStatus;
  output: OutputItem[];
  usage: ResponsesUsage | null;
  error?: { code: string; message: string } | null;
  incompleteReason?: 'max_output_tokens' | 'content_filter' | null;
  completedAt?: number | null;
}

/** The fixed part of one Response: its id, creation time, model and the request's settings. */
export interface ResponseHead {
  id: string;
  createdAt: number;
  model: string;
  request: ResponsesRequest;
}

/** The Response id for a gateway request: `resp_` + the request id's random part, so the two can be matched. */
export function responseIdFor(requestId: string): string {
  return `resp_${requestId.replace(/^req_/, '')}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** An IR (chat) usage object in the Responses shape. */
export function responsesUsage(usage: IRUsage | null | undefined): ResponsesUsage | null {
  if (!usage) return null;
  const input = usage.prompt_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens ?? input + output,
  };
}

/** Why an answer stopped short, in Responses terms; null when it finished normally. */
export function incompleteReasonOf(finish: IRFinishReason | undefined): 'max_output_tokens' | 'content_filter' | null {
  if (finish === 'length') return 'max_output_tokens';
  if (finish === 'content_filter') return 'content_filter';
  return null;
}

/** The request's function tools, echoed in the flat Responses shape. */
function echoTools(request: ResponsesRequest): unknown[] {
  return (request.tools ?? []).map((t) => ({
    type: 'function',
    name: t.name,
    description: t.description ?? null,
    parameters: t.parameters ?? null,
    strict: t.strict ?? null,
  }));
}

/** A complete Response object. Field order follows OpenAI's so logs and diffs read the same. */
export function responseObject(head: ResponseHead, state: ResponseState): Record<string, unknown> {
  const { request } = head;
  return {
    id: head.id,
    object: 'response',
    created_at: head.createdAt,
    status: state.status,
    background: false,
    completed_at: state.completedAt ?? null,
    error: state.error ?? null,
    incomplete_details: state.incompleteReason ? { reason: state.incompleteReason } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: head.model,
    output: state.output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: null },
    service_tier: request.service_tier ?? 'default',
    // OpenAI's default: a response is stored unless the request says otherwise.
    store: request.store ?? true,
    temperature: request.temperature ?? null,
    text: { format: request.text?.format ?? { type: 'text' }, verbosity: request.text?.verbosity ?? 'medium' },
    tool_choice: request.tool_choice ?? 'auto',
    tools: echoTools(request),
    top_p: request.top_p ?? null,
    truncation: 'disabled',
    usage: state.usage,
    user: request.user ?? null,
    metadata: request.metadata ?? {},
  };
}

/** The output items of a non-streamed IR answer: the assistant message (if any text), then one item per tool call. */
export function outputItems(ir: IRResponse): OutputItem[] {
  const choice = ir.choices?.[0];
  const message = choice?.message;
  const status: ItemStatus = incompleteReasonOf(choice?.finish_reason) ? 'incomplete' : 'completed';
  const items: OutputItem[] = [];
  const calls = message?.tool_calls ?? [];
  const content: (OutputText | OutputRefusal)[] = [];
  if (typeof message?.content === 'string' && (message.content.length > 0 || calls.length === 0)) {
    content.push({ type: 'output_text', text: message.content, annotations: [], logprobs: [] });
  }
  if (typeof message?.refusal === 'string' && message.refusal.length > 0) content.push({ type: 'refusal', refusal: message.refusal });
  // A turn with neither text nor calls still answers with an (empty) message, as OpenAI does.
  if (content.length === 0 && calls.length === 0) content.push({ type: 'output_text', text: '', annotations: [], logprobs: [] });
  if (content.length > 0) items.push({ id: newId('msg'), type: 'message', status, role: 'assistant', content });
  for (const call of calls) {
    items.push({ id: newId('fc'), type: 'function_call', status: 'completed', call_id: call.id, name: call.function.name, arguments: call.function.arguments });
  }
  return items;
}

/** A non-streamed IR answer as a Response object. */
export function toResponseObject(ir: IRResponse, head: ResponseHead): Record<string, unknown> {
  const incompleteReason = incompleteReasonOf(ir.choices?.[0]?.finish_reason);
  return responseObject(head, {
    status: incompleteReason ? 'incomplete' : 'completed',
    output: outputItems(ir),
    usage: responsesUsage(ir.usage),
    incompleteReason,
    completedAt: nowSeconds(),
  });
}
