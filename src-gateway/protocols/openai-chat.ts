import { z } from 'zod';
import { gatewayError } from '../errors.js';
import { paramPath } from './validation.js';
import type { TokenUsage } from '../domain/pricing.js';
import { familyOf, mapReasoningEffort, type FamilyTable } from '../domain/reasoning.js';
import type { IRChunk, InboundProtocol } from './ir.js';

/**
 * The OpenAI Chat Completions protocol: request validation, request shaping for a deployment, usage extraction.
 * Unknown fields pass through untouched so new upstream parameters keep working.
 */

const contentPart = z.looseObject({ type: z.string() });
const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
});
const tool = z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string().min(1).max(128) }).optional() });

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1).max(256),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: z.union([z.string(), z.looseObject({ type: z.string() })]).nullish(),
  response_format: z.looseObject({ type: z.string() }).nullish(),
  reasoning_effort: z.string().max(32).nullish(),
  verbosity: z.string().max(32).nullish(),
  service_tier: z.string().max(32).nullish(),
  user: z.string().max(512).nullish(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** Validates a chat body; throws `invalid_request` naming the offending field in `param`. */
export function parseChatRequest(body: unknown): ChatRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw gatewayError('invalid_request', 'The request body must be a JSON object.');
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = paramPath(issue.path);
    const message = issue.code === 'invalid_type' && issue.input === undefined ? `Missing required parameter: '${param}'.` : `Invalid '${param}': ${issue.message}.`;
    throw gatewayError('invalid_request', message, { param });
  }
  return parsed.data;
}

export interface ShapeOptions {
  model: string;
  fastMode: boolean;
  families: FamilyTable;
}

/**
 * Shapes a client body for a deployment: reasoning effort mapped to the family, `service_tier: priority` only for
 * Fast-mode deployments, and usage always asked for on streams (billing needs it; the client sees it only if it asked).
 */
export function shapeChatBody(request: ChatRequest, options: ShapeOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { ...request };
  // gpt-5 and the o-series refuse max_tokens (an Anthropic or Gemini client's limit arrives under that name).
  if (body.max_tokens != null && familyOf(options.model, options.families)?.maxTokensField) {
    body.max_completion_tokens ??= body.max_tokens;
    delete body.max_tokens;
  }
  const effort = mapReasoningEffort(options.model, request.reasoning_effort ?? undefined, options.families);
  if (effort === undefined) delete body.reasoning_effort;
  else body.reasoning_effort = effort;
  if (request.service_tier === 'priority' && !options.fastMode) delete body.service_tier;
  if (request.stream) body.stream_options = { ...(request.stream_options ?? {}), include_usage: true };
  else delete body.stream_options;
  return body;
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);

/** Normalises an OpenAI `usage` object; undefined when absent. */
export function parseOpenAiUsage(usage: unknown): TokenUsage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const u = usage as OpenAiUsage;
  return {
    promptTokens: count(u.prompt_tokens),
    completionTokens: count(u.completion_tokens),
    cachedTokens: count(u.prompt_tokens_details?.cached_tokens),
    reasoningTokens: count(u.completion_tokens_details?.reasoning_tokens),
    cacheWriteTokens: count(u.prompt_tokens_details?.cache_write_tokens),
  };
}

/** Text the model produced in a non-streamed completion (content and tool arguments), for a local count. */
export function completionText(response: unknown): string {
  const choices = (response as { choices?: { message?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[] })?.choices;
  if (!Array.isArray(choices)) return '';
  let text = '';
  for (const choice of choices) {
    if (typeof choice?.message?.content === 'string') text += choice.message.content;
    for (const call of choice?.message?.tool_calls ?? []) if (typeof call?.function?.arguments === 'string') text += call.function.arguments;
  }
  return text;
}

/** Text carried by stream chunks (content deltas and tool argument deltas), for a local count of a cut-off stream. */
export function streamedText(chunks: readonly string[]): string {
  let text = '';
  for (const data of chunks) {
    if (data === '[DONE]') continue;
    try {
      const chunk = JSON.parse(data) as { choices?: { delta?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[] };
      for (const choice of chunk.choices ?? []) {
        if (typeof choice?.delta?.content === 'string') text += choice.delta.content;
        for (const call of choice?.delta?.tool_calls ?? []) if (typeof call?.function?.arguments === 'string') text += call.function.arguments;
      }
    } catch {
      // A malformed upstream frame carries nothing billable.
    }
  }
  return text;
}

/** Text an IR chunk carries (content and tool argument deltas), for a local count of a cut-off stream. */
export function chunkText(chunk: IRChunk): string {
  let text = '';
  for (const choice of chunk.choices ?? []) {
    if (typeof choice.delta?.content === 'string') text += choice.delta.content;
    for (const call of choice.delta?.tool_calls ?? []) if (typeof call.function?.arguments === 'string') text += call.function.arguments;
  }
  return text;
}

/**
 * OpenAI Chat Completions as an inbound protocol. With an OpenAI-format upstream the pipeline forwards raw bytes
 * (`passthrough`); with a translating provider it serialises the IR chunks, which already are this protocol.
 */
export const openAiChatInbound: InboundProtocol = {
  name: 'openai',
  endpoint: 'chat.completions',
  passthrough: true,
  response: (ir) => ir,
  stream: (ctx) => ({
    chunk(chunk) {
      // The usage-only chunk goes to clients that asked for it; the rest carry `usage` only on that request.
      if (chunk.usage && chunk.choices.length === 0 && !ctx.includeUsage) return [];
      if (!ctx.includeUsage && chunk.usage !== undefined) {
        const { usage: _usage, ...rest } = chunk;
        return [`data: ${JSON.stringify(rest)}`];
      }
      return [`data: ${JSON.stringify(chunk)}`];
    },
    done: () => ['data: [DONE]'],
    error: (message, code) => [`data: ${JSON.stringify({ error: { message, type: 'api_error', code, param: null } })}`],
  }),
};
