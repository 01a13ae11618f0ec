import { z } from 'zod';
import { gatewayError } from '../errors.js';
import { paramPath } from './validation.js';
import type { ChatRequest } from './openai-chat.js';
import type { IRContentPart, IRMessage, IRTool, IRToolChoice, InboundProtocol } from './ir.js';
import { nowSeconds, responseIdFor, toResponseObject } from './responses-output.js';
import { responsesStreamWriter } from './responses-stream.js';

/**
 * The OpenAI Responses API as an inbound protocol, request side: a zod-validated Responses body and its translation
 * to the IR (an OpenAI chat body). A `previous_response_id` conversation arrives here already rebuilt as history
 * items (see `responses-routes.ts`); the other server-side state (`conversation`, `background`, stored prompts,
 * item references) is refused with a clear 400 instead of being silently ignored. Unknown top-level fields are
 * dropped rather than forwarded: they are Responses parameters a chat upstream would reject.
 */

const inputText = z.looseObject({ type: z.literal('input_text'), text: z.string() });
const outputText = z.looseObject({ type: z.literal('output_text'), text: z.string() });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });
const inputImage = z.looseObject({
  type: z.literal('input_image'),
  image_url: z.string().min(1).nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(['auto', 'low', 'high', 'original']).nullish(),
});
const inputFile = z.looseObject({
  type: z.literal('input_file'),
  file_data: z.string().nullish(),
  file_id: z.string().nullish(),
  file_url: z.string().nullish(),
  filename: z.string().nullish(),
});
const contentPart = z.discriminatedUnion('type', [inputText, inputImage, inputFile, outputText, refusal]);
type ContentPart = z.infer<typeof contentPart>;

const messageItem = z.looseObject({
  type: z.literal('message'),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(contentPart)]),
});
const functionCallItem = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string().min(1).max(256),
  name: z.string().min(1).max(128),
  arguments: z.string(),
});
const functionCallOutputItem = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1).max(256),
  output: z.union([z.string(), z.array(z.discriminatedUnion('type', [inputText, inputImage, inputFile]))]),
});
// Reasoning items come back when a client replays a previous `output`; a chat upstream cannot take them back.
const reasoningItem = z.looseObject({ type: z.literal('reasoning') });
const itemReference = z.looseObject({ type: z.literal('item_reference') });

// An input message may omit `type` ("easy input message"): it is a message whenever it has a role.
const inputItem = z.preprocess(
  (item) => (item && typeof item === 'object' && !Array.isArray(item) && !('type' in item) && 'role' in item ? { ...item, type: 'message' } : item),
  z.discriminatedUnion('type', [messageItem, functionCallItem, functionCallOutputItem, reasoningItem, itemReference]),
);
export type InputItem = z.infer<typeof inputItem>;

const functionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string().min(1).max(128),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.looseObject({ type: z.literal('function'), name: z.string().min(1).max(128) }),
  z.looseObject({
    type: z.literal('allowed_tools'),
    mode: z.enum(['auto', 'required']),
    tools: z.array(z.looseObject({ type: z.literal('function'), name: z.string().min(1).max(128) })),
  }),
]);

const textFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    name: z.string().min(1).max(64),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().nullish(),
    strict: z.boolean().nullish(),
  }),
]);

export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1).max(256),
  input: z.union([z.string(), z.array(inputItem).min(1)]),
  instructions: z.string().nullish(),
  previous_response_id: z.string().min(1).max(256).nullish(),
  tools: z.array(z.discriminatedUnion('type', [functionTool])).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  reasoning: z.looseObject({ effort: z.string().max(32).nullish(), summary: z.string().max(32).nullish() }).nullish(),
  text: z.looseObject({ format: textFormat.nullish(), verbosity: z.string().max(32).nullish() }).nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().max(512).nullish(),
  safety_identifier: z.string().max(512).nullish(),
  prompt_cache_key: z.string().max(512).nullish(),
  service_tier: z.string().max(32).nullish(),
});

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

/** Parameters that need server-side state this gateway does not keep (stored responses it does keep). */
const STATEFUL_PARAMS: readonly [string, string][] = [
  ['conversation', 'conversation is not supported: this gateway does not store conversations. Send the whole conversation in `input`.'],
  ['prompt', 'Stored prompts (`prompt`) are not supported by this gateway. Send the prompt text in `instructions` and `input`.'],
];

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = body;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

interface Explained {
  path: PropertyKey[];
  message: string;
}

/** Turns a zod issue into the field it is about and a sentence a client can act on (unions: the closest branch). */
function explain(issue: z.core.$ZodIssue, body: unknown, base: PropertyKey[] = []): Explained {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const branches = issue.errors.filter((branch) => branch.length > 0);
    // The branch that got furthest into the value is the one the client meant.
    const deepest = branches.reduce((best, branch) => (branch[0]!.path.length > best[0]!.path.length ? branch : best), branches[0]!);
    if (deepest[0]!.path.length > 0) return explain(deepest[0]!, body, path);
    if (valueAt(body, path) === undefined) return { path, message: `Missing required parameter: '${paramPath(path)}'.` };
    const expected = branches.map((b) => (b[0]!.code === 'invalid_type' ? b[0]!.expected : 'a valid value'));
    return { path, message: `Invalid '${paramPath(path)}': expected ${[...new Set(expected)].join(' or ')}.` };
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue) {
    const options = ((issue as { options?: unknown[] }).options ?? []).map((o) => `'${String(o)}'`).join(', ');
    const given = valueAt(body, path);
    const what = given === undefined ? 'is missing' : `'${String(given)}' is not supported by this gateway`;
    return { path, message: `Invalid '${paramPath(path)}': ${what} (supported: ${options}).` };
  }
  if (issue.code === 'invalid_type' && valueAt(body, path) === undefined) return { path, message: `Missing required parameter: '${paramPath(path)}'.` };
  return { path, message: `Invalid '${paramPath(path)}': ${issue.message}.` };
}

/** Validates a Responses body; throws `invalid_request` naming the offending field in `param`. */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw gatewayError('invalid_request', 'The request body must be a JSON object.');
  const record = body as Record<string, unknown>;
  for (const [param, message] of STATEFUL_PARAMS) {
    if (record[param] !== undefined && record[param] !== null) throw gatewayError('invalid_request', message, { param });
  }
  if (record.background === true) {
    throw gatewayError('invalid_request', 'background responses are not supported by this gateway. Send the request without `background`.', { param: 'background' });
  }
  const parsed = responsesRequestSchema.safeParse(body);
  if (!parsed.success) {
    const { path, message } = explain(parsed.error.issues[0]!, body);
    throw gatewayError('invalid_request', message, { param: paramPath(path) });
  }
  return parsed.data;
}

const invalid = (param: string, message: string) => gatewayError('invalid_request', message, { param });

/** One Responses content part as a chat content part; only what chat messages can carry. */
function chatPart(part: ContentPart, param: string): IRContentPart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'input_image': {
      if (!part.image_url) throw invalid(`${param}.image_url`, 'Images must be sent as `image_url` (an https URL or a data URL); file ids are not supported by this gateway.');
      // Chat knows auto/low/high; "original" (full resolution) is closest to high.
      const detail = part.detail === 'original' ? 'high' : (part.detail ?? undefined);
      return { type: 'image_url', image_url: detail ? { url: part.image_url, detail } : { url: part.image_url } };
    }
    case 'input_file': {
      if (part.file_url) throw invalid(`${param}.file_url`, 'Files must be sent inline as `file_data`; `file_url` is not supported by this gateway.');
      const file: Record<string, string> = {};
      if (part.file_data) file.file_data = part.file_data;
      if (part.file_id) file.file_id = part.file_id;
      if (part.filename) file.filename = part.filename;
      return { type: 'file', file };
    }
  }
}

const textOf = (parts: IRContentPart[]): string => parts.map((p) => (p.type === 'text' ? (p as { text: string }).text : '')).join('');

/** A message item as a chat message; assistant and system turns can only carry text in chat. */
function chatMessage(item: Extract<InputItem, { type: 'message' }>, param: string): IRMessage {
  if (typeof item.content === 'string') return { role: item.role, content: item.content };
  const parts = item.content.map((part, j) => chatPart(part, `${param}.content[${j}]`));
  if (item.role === 'user') return { role: 'user', content: parts };
  const nonText = parts.findIndex((p) => p.type !== 'text');
  if (nonText >= 0) throw invalid(`${param}.content[${nonText}]`, `A ${item.role} message can only carry text.`);
  return { role: item.role, content: textOf(parts) };
}

/** The Responses `input` as input items: a string is one user message. */
export function inputItemsOf(input: ResponsesRequest['input']): InputItem[] {
  return typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : input;
}

/**
 * The Responses `input` (with `instructions`) as chat messages, after `history`: the items of the conversation it
 * continues (`previous_response_id`), already validated when they were first sent.
 */
export function toChatMessages(input: ResponsesRequest['input'], instructions?: string | null, history: readonly InputItem[] = []): IRMessage[] {
  const messages: IRMessage[] = [];
  if (instructions) messages.push({ role: 'system', content: instructions });
  if (typeof input === 'string' && history.length === 0) {
    messages.push({ role: 'user', content: input });
    return messages;
  }
  const items = history.length === 0 ? (input as InputItem[]) : [...history, ...inputItemsOf(input)];
  // Chat wants every tool answer right after the assistant turn that called it, so images returned by a tool wait
  // in a user message until the run of tool answers ends.
  let pendingToolMedia: IRContentPart[] = [];
  const flushToolMedia = () => {
    if (pendingToolMedia.length > 0) messages.push({ role: 'user', content: pendingToolMedia });
    pendingToolMedia = [];
  };
  items.forEach((item, i) => {
    const param = i < history.length ? 'previous_response_id' : `input[${i - history.length}]`;
    if (item.type !== 'function_call_output') flushToolMedia();
    switch (item.type) {
      case 'message':
        messages.push(chatMessage(item, param));
        break;
      case 'function_call': {
        const call = { id: item.call_id, type: 'function' as const, function: { name: item.name, arguments: item.arguments } };
        // Consecutive calls (and the text before them) are one assistant turn in chat.
        const last = messages[messages.length - 1];
        if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'function_call_output': {
        if (typeof item.output === 'string') {
          messages.push({ role: 'tool', tool_call_id: item.call_id, content: item.output });
          break;
        }
        const parts = item.output.map((part, j) => chatPart(part, `${param}.output[${j}]`));
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: textOf(parts) });
        pendingToolMedia.push(...parts.filter((p) => p.type !== 'text'));
        break;
      }
      case 'reasoning':
        break;
      case 'item_reference':
        throw invalid(`${param}.type`, 'item_reference is not supported by this gateway. Send the items themselves.');
    }
  });
  flushToolMedia();
  return messages;
}

function chatToolChoice(choice: NonNullable<ResponsesRequest['tool_choice']>): IRToolChoice | Record<string, unknown> {
  if (typeof choice === 'string') return choice;
  if (choice.type === 'function') return { type: 'function', function: { name: choice.name } };
  return { type: 'allowed_tools', allowed_tools: { mode: choice.mode, tools: choice.tools.map((t) => ({ type: 'function', function: { name: t.name } })) } };
}

function chatResponseFormat(format: NonNullable<NonNullable<ResponsesRequest['text']>['format']>): ChatRequest['response_format'] {
  if (format.type !== 'json_schema') return { type: format.type };
  const jsonSchema: Record<string, unknown> = { name: format.name, schema: format.schema };
  if (format.description) jsonSchema.description = format.description;
  if (typeof format.strict === 'boolean') jsonSchema.strict = format.strict;
  return { type: 'json_schema', json_schema: jsonSchema };
}

/**
 * A validated Responses request as the IR (an OpenAI chat body). Only fields with a chat equivalent are set, so the
 * body is valid for any chat upstream; `handleChat` then shapes it per deployment (reasoning effort, service tier).
 */
export function toChatRequest(request: ResponsesRequest, history: readonly InputItem[] = []): ChatRequest {
  const chat: ChatRequest = { model: request.model, messages: toChatMessages(request.input, request.instructions, history) as ChatRequest['messages'] };
  if (request.stream) chat.stream = true;
  if (request.max_output_tokens != null) chat.max_completion_tokens = request.max_output_tokens;
  if (request.temperature != null) chat.temperature = request.temperature;
  if (request.top_p != null) chat.top_p = request.top_p;
  if (request.tools && request.tools.length > 0) {
    chat.tools = request.tools.map((t) => {
      const fn: IRTool['function'] & Record<string, unknown> = { name: t.name };
      if (t.description) fn.description = t.description;
      if (t.parameters) fn.parameters = t.parameters;
      if (typeof t.strict === 'boolean') fn.strict = t.strict;
      return { type: 'function' as const, function: fn };
    });
    // Chat refuses parallel_tool_calls without tools.
    if (request.parallel_tool_calls != null) chat.parallel_tool_calls = request.parallel_tool_calls;
  }
  if (request.tool_choice != null) chat.tool_choice = chatToolChoice(request.tool_choice) as ChatRequest['tool_choice'];
  if (request.reasoning?.effort) chat.reasoning_effort = request.reasoning.effort;
  const format = request.text?.format;
  if (format && format.type !== 'text') chat.response_format = chatResponseFormat(format);
  if (request.text?.verbosity) chat.verbosity = request.text.verbosity;
  if (request.service_tier) chat.service_tier = request.service_tier;
  if (request.user) chat.user = request.user;
  if (request.safety_identifier) chat.safety_identifier = request.safety_identifier;
  if (request.prompt_cache_key) chat.prompt_cache_key = request.prompt_cache_key;
  return chat;
}

/**
 * Called with each Response that finished (completed or incomplete), just before the client gets it; must not throw.
 * Failed and cancelled responses never reach it.
 */
export type ResponseFinished = (response: Record<string, unknown>) => void;

/**
 * The Responses protocol for one request (the request is needed to echo its settings in every Response object).
 * Never passthrough: an OpenAI-format upstream answers in chat format, which always needs translating.
 */
export function responsesInbound(request: ResponsesRequest, onFinished?: ResponseFinished): InboundProtocol {
  return {
    name: 'responses',
    endpoint: 'responses',
    passthrough: false,
    response: (ir, ctx) => {
      const response = toResponseObject(ir, { id: responseIdFor(ctx.requestId), createdAt: typeof ir.created === 'number' ? ir.created : nowSeconds(), model: ctx.model, request });
      onFinished?.(response);
      return response;
    },
    stream: (ctx) => responsesStreamWriter({ id: responseIdFor(ctx.requestId), createdAt: nowSeconds(), model: ctx.model, request }, onFinished),
  };
}
