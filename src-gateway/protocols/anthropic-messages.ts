import { z } from 'zod';
import { gatewayError } from '../errors.js';
import { paramPath } from './validation.js';
import type { ChatRequest } from './openai-chat.js';
import type { InboundContext, InboundProtocol, IRContentPart, IRMessage, IRResponse, IRTool, IRToolChoice } from './ir.js';
import { anthropicUsageOf, imageUrlOf, messageIdFor, stopReasonOf, type AnthropicBlock, type AnthropicImageSource, type AnthropicMessage } from './anthropic-wire.js';
import { anthropicStreamWriter } from './anthropic-stream-writer.js';

/**
 * The Anthropic Messages protocol (`POST /v1/messages`) as an inbound protocol: a validated Messages request → the
 * IR (OpenAI chat) request, and IR answers → Messages answers, so an Anthropic SDK can use any chat deployment.
 */

const cacheControl = z.looseObject({ type: z.string() }).nullish();
const textBlock = z.looseObject({ type: z.literal('text'), text: z.string(), cache_control: cacheControl });
const imageSource = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('base64'), media_type: z.string().min(1), data: z.string() }),
  z.looseObject({ type: z.literal('url'), url: z.string().min(1) }),
]);
const imageBlock = z.looseObject({ type: z.literal('image'), source: imageSource, cache_control: cacheControl });
const toolUseBlock = z.looseObject({ type: z.literal('tool_use'), id: z.string().min(1), name: z.string().min(1), input: z.record(z.string(), z.unknown()) });
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, imageBlock]))]).optional(),
  is_error: z.boolean().optional(),
});
const block = z.discriminatedUnion('type', [
  textBlock,
  imageBlock,
  toolUseBlock,
  toolResultBlock,
  z.looseObject({ type: z.literal('document'), source: z.looseObject({ type: z.string() }) }),
  z.looseObject({ type: z.literal('thinking') }),
  z.looseObject({ type: z.literal('redacted_thinking') }),
]);
const message = z.looseObject({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(block)]) });
const tool = z.looseObject({ name: z.string().min(1).max(128), description: z.string().optional(), input_schema: z.looseObject({ type: z.string() }) });
const toolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('tool'), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('none') }),
]);

export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1).max(256),
  max_tokens: z.number().int().positive(),
  messages: z.array(message).min(1),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stop_sequences: z.array(z.string()).optional(),
  metadata: z.looseObject({ user_id: z.string().max(512).nullish() }).optional(),
});

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
type Block = z.infer<typeof block>;

type Issue = z.core.$ZodIssue;

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * The most specific problem behind an issue. A union (string or blocks, one of the block types) fails as a whole
 * with "Invalid input"; the branch that got furthest names the field the client actually got wrong.
 */
function deepestIssue(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Issue = issue;
  for (const branch of issue.errors) {
    for (const inner of branch) {
      const candidate = deepestIssue({ ...inner, path: [...issue.path, ...inner.path] } as Issue);
      if (candidate.path.length > best.path.length) best = candidate;
    }
  }
  return best;
}

/**
 * Validates a Messages body (or a count_tokens body, where `max_tokens` is optional); throws `invalid_request`
 * naming the offending field.
 */
export function parseMessagesRequest(body: unknown, options: { maxTokensOptional?: boolean } = {}): MessagesRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw gatewayError('invalid_request', 'The request body must be a JSON object.');
  const schema = options.maxTokensOptional ? messagesRequestSchema.extend({ max_tokens: z.number().int().positive().optional() }) : messagesRequestSchema;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = deepestIssue(parsed.error.issues[0]!);
    const param = paramPath(issue.path);
    // zod does not report the input by default: look the field up to tell "missing" from "wrong type".
    const missing = issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined;
    const message = missing ? `${param}: Field required` : `${param}: ${issue.message}`;
    throw gatewayError('invalid_request', message, { param });
  }
  return parsed.data as MessagesRequest;
}

function textPart(text: string, cache: unknown): IRContentPart {
  // cache_control rides along in the IR part so an Anthropic upstream still gets the cache breakpoint.
  return cache ? { type: 'text', text, cache_control: cache } : { type: 'text', text };
}

const imagePart = (source: AnthropicImageSource): IRContentPart => ({ type: 'image_url', image_url: { url: imageUrlOf(source) } });

/** A user turn: its tool results become IR tool messages (which must follow the assistant's calls), the rest one user message. */
function userMessages(blocks: readonly Block[]): IRMessage[] {
  const results: IRMessage[] = [];
  const parts: IRContentPart[] = [];
  for (const b of blocks) {
    if (b.type === 'text') parts.push(textPart(b.text, b.cache_control));
    else if (b.type === 'image') parts.push(imagePart(b.source as AnthropicImageSource));
    else if (b.type === 'document') parts.push(b as IRContentPart);
    else if (b.type === 'tool_result') {
      const content = b.content ?? '';
      let text = typeof content === 'string' ? content : '';
      if (Array.isArray(content)) {
        for (const item of content) {
          if (item.type === 'text') text += item.text;
          // OpenAI tool messages carry text only: images of a tool result travel in the user message after it.
          else parts.push(imagePart(item.source as AnthropicImageSource));
        }
      }
      results.push({ role: 'tool', tool_call_id: b.tool_use_id, content: text });
    }
  }
  if (parts.length > 0) results.push({ role: 'user', content: parts });
  return results;
}

/** An assistant turn: text joined, tool uses as tool calls; thinking blocks have no IR form and are dropped. */
function assistantMessage(blocks: readonly Block[]): IRMessage {
  let text = '';
  const calls: NonNullable<IRMessage['tool_calls']> = [];
  for (const b of blocks) {
    if (b.type === 'text') text += b.text;
    else if (b.type === 'tool_use') calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } });
  }
  const out: IRMessage = { role: 'assistant', content: text.length > 0 || calls.length === 0 ? text : null };
  if (calls.length > 0) out.tool_calls = calls;
  return out;
}

function irToolChoice(choice: MessagesRequest['tool_choice']): IRToolChoice | undefined {
  if (!choice) return undefined;
  if (choice.type === 'auto') return 'auto';
  if (choice.type === 'any') return 'required';
  if (choice.type === 'none') return 'none';
  return { type: 'function', function: { name: choice.name as string } };
}

/** A validated Messages request as the IR request the chat pipeline takes. Anthropic-only knobs (top_k, thinking) are not carried. */
export function toIRRequest(request: MessagesRequest): ChatRequest {
  const messages: IRMessage[] = [];
  if (typeof request.system === 'string') {
    if (request.system.length > 0) messages.push({ role: 'system', content: request.system });
  } else if (request.system && request.system.length > 0) {
    const cached = request.system.some((b) => b.cache_control);
    messages.push({ role: 'system', content: cached ? request.system.map((b) => textPart(b.text, b.cache_control)) : request.system.map((b) => b.text).join('\n\n') });
  }
  for (const m of request.messages) {
    if (typeof m.content === 'string') messages.push({ role: m.role, content: m.content });
    else if (m.role === 'user') messages.push(...userMessages(m.content));
    else messages.push(assistantMessage(m.content));
  }
  const ir: Record<string, unknown> = { model: request.model, messages, max_tokens: request.max_tokens };
  if (request.stream === true) ir.stream = true;
  if (request.temperature !== undefined) ir.temperature = request.temperature;
  if (request.top_p !== undefined) ir.top_p = request.top_p;
  if (request.stop_sequences && request.stop_sequences.length > 0) ir.stop = request.stop_sequences;
  if (request.tools && request.tools.length > 0) {
    ir.tools = request.tools.map<IRTool>((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema as Record<string, unknown> },
    }));
    const choice = irToolChoice(request.tool_choice);
    if (choice) ir.tool_choice = choice;
    if (request.tool_choice && 'disable_parallel_tool_use' in request.tool_choice && request.tool_choice.disable_parallel_tool_use === true) ir.parallel_tool_calls = false;
  }
  if (typeof request.metadata?.user_id === 'string' && request.metadata.user_id.length > 0) ir.user = request.metadata.user_id;
  return ir as ChatRequest;
}

/** Parses tool call arguments for a `tool_use` block; a model that produced broken JSON still yields an object. */
export function toolInputOf(args: string | undefined): Record<string, unknown> {
  if (!args) return {};
  try {
    const parsed = JSON.parse(args) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** An IR answer as a Messages answer (first choice; Messages has no `n`). */
export function toMessage(ir: IRResponse, ctx: InboundContext): AnthropicMessage {
  const choice = ir.choices?.[0];
  const content: AnthropicBlock[] = [];
  const raw = choice?.message?.content as unknown;
  const text = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.map((p: { text?: unknown }) => (typeof p?.text === 'string' ? p.text : '')).join('') : '';
  if (text.length > 0) content.push({ type: 'text', text });
  for (const call of choice?.message?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInputOf(call.function.arguments) });
  }
  return {
    id: messageIdFor(ctx.requestId),
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content,
    stop_reason: stopReasonOf(choice?.finish_reason ?? null),
    stop_sequence: null,
    usage: anthropicUsageOf(ir.usage),
  };
}

/** Anthropic Messages as an inbound protocol: always translated, never raw passthrough. */
export const anthropicInbound: InboundProtocol = {
  name: 'anthropic',
  endpoint: 'messages',
  passthrough: false,
  response: toMessage,
  stream: anthropicStreamWriter,
};
