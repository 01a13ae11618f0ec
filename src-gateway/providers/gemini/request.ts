import type { IRContentPart, IRMessage, IRTool, IRToolCall, IRToolChoice } from '../../protocols/ir.js';

/**
 * IR (OpenAI chat) request → Gemini `GenerateContentRequest`, shared by the Gemini API and Vertex AI providers (both take
 * the same body). Pure: no I/O, no billing.
 */

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: { name: string; args: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
}

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  tools?: { functionDeclarations: { name: string; description?: string; parametersJsonSchema?: unknown }[] }[];
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } };
  generationConfig?: Record<string, unknown>;
}

/**
 * Gemini 3 refuses a function-calling history whose calls lack the thought signature it issued; histories that come
 * from another model (or from a client that dropped the field) carry this value, which Google documents for that case.
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

/** A tool call as Google's OpenAI-compatible surface returns it: the Gemini thought signature rides in `extra_content`. */
export type ToolCallWithSignature = IRToolCall & { extra_content?: { google?: { thought_signature?: string } } };

const GEMINI_3_OR_LATER = /gemini-([3-9]|\d{2,})/i;

const EXTENSION_MIME: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', heif: 'image/heif',
  pdf: 'application/pdf', mp3: 'audio/mp3', wav: 'audio/wav', mp4: 'video/mp4', txt: 'text/plain',
};

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

/** A media reference → an inline part (data URL) or a file part (http(s)/gs:// URL, MIME type from the extension). */
export function mediaPart(url: string, fallbackMime = 'image/jpeg'): GeminiPart {
  const inline = DATA_URL.exec(url);
  if (inline) return { inlineData: { mimeType: inline[1] ?? fallbackMime, data: inline[2]! } };
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  return { fileData: { mimeType: (extension && EXTENSION_MIME[extension]) || fallbackMime, fileUri: url } };
}

function contentParts(content: IRMessage['content']): GeminiPart[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  if (!Array.isArray(content)) return [];
  const parts: GeminiPart[] = [];
  for (const part of content as (IRContentPart & Record<string, any>)[]) {
    if (part.type === 'text' && typeof part.text === 'string') parts.push({ text: part.text });
    else if (part.type === 'image_url' && typeof part.image_url?.url === 'string') parts.push(mediaPart(part.image_url.url));
    else if (part.type === 'input_audio' && typeof part.input_audio?.data === 'string') {
      parts.push({ inlineData: { mimeType: `audio/${part.input_audio.format ?? 'wav'}`, data: part.input_audio.data } });
    } else if (part.type === 'file' && typeof part.file?.file_data === 'string') parts.push(mediaPart(part.file.file_data, 'application/pdf'));
  }
  return parts;
}

const textOf = (content: IRMessage['content']): string =>
  contentParts(content)
    .map((p) => p.text ?? '')
    .join('\n');

/** Gemini wants a JSON object as a function's response: objects pass as they are, anything else is wrapped in `output`. */
export function functionResponseOf(content: IRMessage['content']): Record<string, unknown> {
  const text = typeof content === 'string' ? content : textOf(content);
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // plain text output
  }
  return { output: text };
}

function parseArgs(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text || '{}') as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    // Gemini takes only objects: keep the unparseable text rather than dropping it.
    return { arguments: text };
  }
}

/** The conversation: system and developer messages become `systemInstruction`, the rest alternate user / model. */
function toContents(messages: readonly IRMessage[], upstreamModel: string): { contents: GeminiContent[]; system: GeminiPart[] } {
  const needsSignature = GEMINI_3_OR_LATER.test(upstreamModel);
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  const push = (role: GeminiContent['role'], parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    // Parallel tool results and a user turn that follows them belong in one Gemini turn.
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') {
      const text = textOf(message.content);
      if (text) system.push({ text });
    } else if (message.role === 'user') {
      push('user', contentParts(message.content));
    } else if (message.role === 'assistant') {
      const parts = contentParts(message.content);
      (message.tool_calls as ToolCallWithSignature[] | undefined)?.forEach((call, index) => {
        callNames.set(call.id, call.function.name);
        const signature = call.extra_content?.google?.thought_signature ?? (needsSignature && index === 0 ? SKIP_SIGNATURE : undefined);
        parts.push({ functionCall: { name: call.function.name, args: parseArgs(call.function.arguments) }, ...(signature ? { thoughtSignature: signature } : {}) });
      });
      push('model', parts);
    } else {
      // `tool` (and the legacy `function` role, which names itself): the name comes from the call it answers.
      const name = (message.tool_call_id && callNames.get(message.tool_call_id)) || message.name || 'function';
      push('user', [{ functionResponse: { name, response: functionResponseOf(message.content) } }]);
    }
  }
  return { contents, system };
}

function toolConfig(choice: IRToolChoice | null | undefined): GeminiRequest['toolConfig'] {
  if (!choice) return undefined;
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (typeof choice === 'object' && choice.function?.name) return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  return { functionCallingConfig: { mode: 'AUTO' } };
}

const THINKING_BUDGETS: Record<string, number> = { none: 0, minimal: 1024, low: 1024, medium: 8192, high: 24576, xhigh: 24576 };

/**
 * `reasoning_effort` → `thinkingConfig`: Gemini 3 takes a level, Gemini 2.5 a token budget (the mapping Google's own
 * OpenAI-compatible surface uses). Unknown efforts are left out rather than guessed.
 */
export function thinkingConfig(effort: unknown, upstreamModel: string): Record<string, unknown> | undefined {
  if (typeof effort !== 'string' || !(effort in THINKING_BUDGETS)) return undefined;
  if (GEMINI_3_OR_LATER.test(upstreamModel)) return { thinkingLevel: ['none', 'minimal', 'low'].includes(effort) ? 'low' : 'high' };
  return { thinkingBudget: THINKING_BUDGETS[effort] };
}

function generationConfig(body: Record<string, any>, upstreamModel: string): Record<string, unknown> | undefined {
  const config: Record<string, unknown> = {};
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === 'number') config.maxOutputTokens = maxTokens;
  if (typeof body.temperature === 'number') config.temperature = body.temperature;
  if (typeof body.top_p === 'number') config.topP = body.top_p;
  if (typeof body.stop === 'string') config.stopSequences = [body.stop];
  else if (Array.isArray(body.stop) && body.stop.length > 0) config.stopSequences = body.stop;
  if (typeof body.n === 'number' && body.n > 1) config.candidateCount = body.n;
  if (typeof body.presence_penalty === 'number') config.presencePenalty = body.presence_penalty;
  if (typeof body.frequency_penalty === 'number') config.frequencyPenalty = body.frequency_penalty;
  if (typeof body.seed === 'number') config.seed = body.seed;
  const format = body.response_format as { type?: string; json_schema?: { schema?: unknown } } | null | undefined;
  if (format?.type === 'json_object' || format?.type === 'json_schema') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema' && format.json_schema?.schema) config.responseJsonSchema = format.json_schema.schema;
  const thinking = thinkingConfig(body.reasoning_effort, upstreamModel);
  if (thinking) config.thinkingConfig = thinking;
  return Object.keys(config).length > 0 ? config : undefined;
}

/** Builds the Gemini body for an IR chat body; `upstreamModel` (the deployment's model name) picks the thinking style. */
export function toGeminiRequest(body: Record<string, unknown>, upstreamModel: string): GeminiRequest {
  const { contents, system } = toContents((body.messages ?? []) as IRMessage[], upstreamModel);
  const request: GeminiRequest = { contents };
  if (system.length > 0) request.systemInstruction = { parts: system };
  const functions = ((body.tools ?? []) as IRTool[]).filter((t) => t?.type === 'function' && t.function?.name);
  if (functions.length > 0) {
    // parametersJsonSchema takes a JSON Schema as is; `parameters` would need OpenAPI-subset rewriting.
    request.tools = [
      {
        functionDeclarations: functions.map(({ function: f }) => ({
          name: f.name,
          ...(f.description ? { description: f.description } : {}),
          ...(f.parameters ? { parametersJsonSchema: f.parameters } : {}),
        })),
      },
    ];
    const config = toolConfig(body.tool_choice as IRToolChoice | null | undefined);
    if (config) request.toolConfig = config;
  }
  const generation = generationConfig(body as Record<string, any>, upstreamModel);
  if (generation) request.generationConfig = generation;
  return request;
}
