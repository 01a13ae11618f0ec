import { z } from 'zod';
import { gatewayError } from '../errors.js';
import { paramPath } from './validation.js';
import { parseChatRequest, type ChatRequest } from './openai-chat.js';
import type { InboundProtocol, IRContentPart, IRMessage, IRTool, IRToolCall } from './ir.js';
import { geminiResponseBody, geminiStreamWriter } from './gemini-writer.js';

/**
 * The Gemini `generateContent` protocol as a client-facing surface: a zod-validated GenerateContentRequest becomes the
 * IR (OpenAI chat) request, and IR answers go back as GenerateContentResponse objects (see gemini-writer.ts).
 * Only what has an IR equivalent is accepted; Google-only tools (search, code execution) are refused, not dropped.
 */

const part = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  inlineData: z.looseObject({ mimeType: z.string().min(1), data: z.string() }).optional(),
  fileData: z.looseObject({ mimeType: z.string().optional(), fileUri: z.string().min(1) }).optional(),
  functionCall: z.looseObject({ name: z.string().min(1).max(128), args: z.record(z.string(), z.unknown()).nullish(), id: z.string().optional() }).optional(),
  functionResponse: z.looseObject({ name: z.string().min(1).max(128), response: z.record(z.string(), z.unknown()).nullish(), id: z.string().optional() }).optional(),
});
type Part = z.infer<typeof part>;

const content = z.looseObject({ role: z.string().optional(), parts: z.array(part).default([]) });

const functionDeclaration = z.looseObject({
  name: z.string().min(1).max(128),
  description: z.string().optional(),
  parameters: z.looseObject({}).optional(),
  parametersJsonSchema: z.unknown().optional(),
});

const generationConfig = z.looseObject({
  maxOutputTokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().min(0).max(1).optional(),
  candidateCount: z.number().int().min(1).max(8).optional(),
  stopSequences: z.array(z.string()).max(16).optional(),
  presencePenalty: z.number().optional(),
  frequencyPenalty: z.number().optional(),
  seed: z.number().int().optional(),
  responseMimeType: z.string().optional(),
  responseSchema: z.looseObject({}).optional(),
  responseJsonSchema: z.unknown().optional(),
  thinkingConfig: z.looseObject({ thinkingBudget: z.number().int().optional(), thinkingLevel: z.string().optional() }).optional(),
});

export const generateContentRequestSchema = z.looseObject({
  contents: z.array(content).min(1),
  systemInstruction: z.union([z.string(), z.looseObject({ parts: z.array(part).default([]) })]).optional(),
  tools: z.array(z.looseObject({ functionDeclarations: z.array(functionDeclaration).optional() })).optional(),
  toolConfig: z
    .looseObject({ functionCallingConfig: z.looseObject({ mode: z.string().optional(), allowedFunctionNames: z.array(z.string()).optional() }).optional() })
    .optional(),
  generationConfig: generationConfig.optional(),
});
export type GenerateContentRequest = z.infer<typeof generateContentRequestSchema>;

/** Keys of a Gemini schema whose values are schemas (or lists of them), or maps of named schemas. */
const SUBSCHEMA = new Set(['items', 'anyOf', 'oneOf', 'allOf', 'not', 'additionalProperties']);
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions']);
/** int64 counts arrive as JSON strings in Google's REST encoding. */
const COUNTS = new Set(['minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties']);

/** Google's OpenAPI-subset `Schema` (types in capitals, `nullable`) → JSON Schema, which OpenAI-format upstreams take. */
export function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (!schema || typeof schema !== 'object') return schema;
  const source = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'nullable' || key === 'propertyOrdering') continue;
    if (key === 'type' && typeof value === 'string') out.type = value.toLowerCase();
    else if (SUBSCHEMA.has(key)) out[key] = jsonSchemaOf(value);
    else if (SCHEMA_MAPS.has(key) && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, jsonSchemaOf(sub)]));
    } else if (COUNTS.has(key) && typeof value === 'string' && /^\d+$/.test(value)) out[key] = Number(value);
    else out[key] = value;
  }
  if (source.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

const dataUrl = (mimeType: string, data: string): string => `data:${mimeType};base64,${data}`;

function irPart(p: Part): IRContentPart | undefined {
  if (typeof p.text === 'string' && !p.thought) return { type: 'text', text: p.text };
  if (p.inlineData) {
    const { mimeType, data } = p.inlineData;
    if (mimeType.startsWith('image/')) return { type: 'image_url', image_url: { url: dataUrl(mimeType, data) } };
    const audio = /^audio\/(?:x-)?(wav|mp3|mpeg)$/.exec(mimeType)?.[1];
    if (audio) return { type: 'input_audio', input_audio: { data, format: audio === 'mpeg' ? 'mp3' : audio } };
    return { type: 'file', file: { file_data: dataUrl(mimeType, data), filename: 'file' } };
  }
  // A referenced file keeps its URL; a Gemini upstream turns it back into fileData.
  if (p.fileData) return { type: 'image_url', image_url: { url: p.fileData.fileUri } };
  return undefined;
}

/** What a function answered, as the text of a tool message: a bare `{output: "…"}` is just its text. */
function toolResult(response: Record<string, unknown> | null | undefined): string {
  const keys = Object.keys(response ?? {});
  if (keys.length === 1 && keys[0] === 'output' && typeof response!.output === 'string') return response!.output;
  return JSON.stringify(response ?? {});
}

/** Gemini turns → IR messages. Function calls get ids (Gemini's own when present) so their responses can answer them. */
function toMessages(request: GenerateContentRequest): IRMessage[] {
  const messages: IRMessage[] = [];
  const system = typeof request.systemInstruction === 'string' ? request.systemInstruction : request.systemInstruction?.parts.map((p) => p.text ?? '').join('\n');
  if (system) messages.push({ role: 'system', content: system });
  let pending: { id: string; name: string }[] = [];
  request.contents.forEach((turn, turnIndex) => {
    if (turn.role === 'model') {
      const text = turn.parts.map((p) => (typeof p.text === 'string' && !p.thought ? p.text : '')).join('');
      const calls: IRToolCall[] = turn.parts
        .filter((p) => p.functionCall)
        .map((p, k) => ({ id: p.functionCall!.id || `call_${turnIndex}_${k}`, type: 'function', function: { name: p.functionCall!.name, arguments: JSON.stringify(p.functionCall!.args ?? {}) } }));
      pending = calls.map((c) => ({ id: c.id, name: c.function.name }));
      if (text || calls.length > 0) messages.push({ role: 'assistant', content: text || null, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
      return;
    }
    const parts: IRContentPart[] = [];
    for (const p of turn.parts) {
      if (p.functionResponse) {
        const { id, name, response } = p.functionResponse;
        const match = pending.findIndex((c) => (id ? c.id === id : c.name === name));
        const callId = match >= 0 ? pending.splice(match, 1)[0]!.id : id || `call_${name}`;
        // OpenAI wants tool results right after the call, before any further user text.
        messages.push({ role: 'tool', tool_call_id: callId, content: toolResult(response) });
      } else {
        const converted = irPart(p);
        if (converted) parts.push(converted);
      }
    }
    if (parts.length === 0) return;
    const textOnly = parts.every((p) => p.type === 'text');
    messages.push({ role: 'user', content: textOnly ? parts.map((p) => (p as { text: string }).text).join('') : parts });
  });
  return messages;
}

/** thinkingConfig → reasoning_effort: a level as is, a budget by the thresholds Google's OpenAI surface uses. */
function effortOf(thinking: { thinkingBudget?: number; thinkingLevel?: string } | undefined): string | undefined {
  const level = thinking?.thinkingLevel?.toLowerCase();
  if (level && ['minimal', 'low', 'medium', 'high'].includes(level)) return level;
  const budget = thinking?.thinkingBudget;
  if (budget === undefined || budget < 0) return undefined;
  return budget === 0 ? 'none' : budget <= 1024 ? 'low' : budget <= 8192 ? 'medium' : 'high';
}

function toolsOf(request: GenerateContentRequest): { tools?: IRTool[]; tool_choice?: ChatRequest['tool_choice'] } {
  const tools: IRTool[] = [];
  for (const [index, tool] of (request.tools ?? []).entries()) {
    const other = Object.keys(tool).find((key) => key !== 'functionDeclarations');
    if (other) throw gatewayError('invalid_request', `The '${other}' tool is not supported through this gateway; only functionDeclarations are.`, { param: `tools[${index}]` });
    for (const f of tool.functionDeclarations ?? []) {
      const parameters = f.parametersJsonSchema ?? (f.parameters ? jsonSchemaOf(f.parameters) : undefined);
      tools.push({ type: 'function', function: { name: f.name, ...(f.description ? { description: f.description } : {}), ...(parameters ? { parameters: parameters as Record<string, unknown> } : {}) } });
    }
  }
  if (tools.length === 0) return {};
  const config = request.toolConfig?.functionCallingConfig;
  const mode = config?.mode?.toUpperCase();
  if (mode === 'NONE') return { tools, tool_choice: 'none' };
  if (mode !== 'ANY') return { tools, tool_choice: 'auto' };
  const allowed = config?.allowedFunctionNames?.filter((name) => tools.some((t) => t.function.name === name)) ?? [];
  if (allowed.length === 1) return { tools, tool_choice: { type: 'function', function: { name: allowed[0]! } } };
  // "Any of these": OpenAI has no list form, so offer only the allowed tools and require one.
  return { tools: allowed.length > 1 ? tools.filter((t) => allowed.includes(t.function.name)) : tools, tool_choice: 'required' };
}

/** Validates a GenerateContentRequest; throws `invalid_request` naming the offending field. */
export function parseGenerateContentRequest(body: unknown): GenerateContentRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw gatewayError('invalid_request', 'The request body must be a JSON object.');
  const parsed = generateContentRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = paramPath(issue.path);
    throw gatewayError('invalid_request', issue.code === 'invalid_type' && issue.input === undefined ? `Missing required field: '${param}'.` : `Invalid '${param}': ${issue.message}.`, { param });
  }
  return parsed.data;
}

/** A Gemini call (body, model from the URL, streamed or not) as the IR chat request the pipeline runs. */
export function geminiToChatRequest(body: unknown, model: string, stream: boolean): ChatRequest {
  const request = parseGenerateContentRequest(body);
  const g = request.generationConfig ?? {};
  const messages = toMessages(request);
  const ir: Record<string, unknown> = { model, messages, ...toolsOf(request) };
  if (messages.every((m) => m.role === 'system')) {
    throw gatewayError('invalid_request', 'contents must hold at least one user turn with content.', { param: 'contents' });
  }
  if (g.maxOutputTokens !== undefined) ir.max_tokens = g.maxOutputTokens;
  if (g.temperature !== undefined) ir.temperature = g.temperature;
  if (g.topP !== undefined) ir.top_p = g.topP;
  if (g.candidateCount !== undefined) ir.n = g.candidateCount;
  if (g.stopSequences?.length) ir.stop = g.stopSequences;
  if (g.presencePenalty !== undefined) ir.presence_penalty = g.presencePenalty;
  if (g.frequencyPenalty !== undefined) ir.frequency_penalty = g.frequencyPenalty;
  if (g.seed !== undefined) ir.seed = g.seed;
  if (g.responseMimeType === 'application/json') {
    const schema = g.responseJsonSchema ?? (g.responseSchema ? jsonSchemaOf(g.responseSchema) : undefined);
    ir.response_format = schema ? { type: 'json_schema', json_schema: { name: 'response', schema } } : { type: 'json_object' };
  }
  const effort = effortOf(g.thinkingConfig);
  if (effort) ir.reasoning_effort = effort;
  if (stream) {
    ir.stream = true;
    // Gemini streams always end with usageMetadata: ask for it whatever the upstream.
    ir.stream_options = { include_usage: true };
  }
  return parseChatRequest(ir);
}

/** Gemini `generateContent` / `streamGenerateContent` as an inbound protocol; usage rows say `generateContent`. */
export const geminiInbound: InboundProtocol = {
  name: 'google',
  endpoint: 'generateContent',
  passthrough: false,
  response: geminiResponseBody,
  stream: geminiStreamWriter,
};
