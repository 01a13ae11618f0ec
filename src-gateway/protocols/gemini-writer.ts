import { ERROR_CATALOGUE, gatewayError, googleErrorBody, type ErrorCode } from '../errors.js';
import type { InboundContext, InboundStreamWriter, IRChunk, IRFinishReason, IRResponse, IRToolCall, IRUsage } from './ir.js';

/**
 * IR answers → Gemini `GenerateContentResponse`: the JSON answer, and the stream (`data: {…}` events, no `[DONE]`,
 * usageMetadata and finishReason on the last event, as Google sends them). The events carry only `data`, so the same
 * events serve both of Google's stream framings: SSE with `alt=sse`, and the JSON array without it (each event's data
 * one element; see streaming/json-array-writer.ts).
 */

interface GeminiPartOut {
  text?: string;
  functionCall?: { id?: string; name: string; args: Record<string, unknown> };
}

interface CandidateOut {
  content: { role: 'model'; parts: GeminiPartOut[] };
  finishReason?: string;
  index: number;
}

const FINISH: Record<Exclude<IRFinishReason, null>, string> = { stop: 'STOP', tool_calls: 'STOP', length: 'MAX_TOKENS', content_filter: 'SAFETY' };

/** OpenAI finish reasons → Gemini's (function calls end in STOP there). */
export function geminiFinishReason(reason: IRFinishReason | undefined): string {
  return (reason && FINISH[reason]) || 'STOP';
}

/** IR usage → `usageMetadata`: Gemini reports thinking tokens apart from the candidates' tokens. */
export function usageMetadataOf(usage: IRUsage | null | undefined): Record<string, number> | undefined {
  if (!usage) return undefined;
  const thoughts = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    promptTokenCount: usage.prompt_tokens,
    candidatesTokenCount: Math.max(0, usage.completion_tokens - thoughts),
    totalTokenCount: usage.prompt_tokens + usage.completion_tokens,
    ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
  };
}

/** Function arguments as the object Gemini clients expect; a truncated JSON string keeps its text rather than vanish. */
function argsOf(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text || '{}') as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { arguments: text };
}

const callPart = (call: Pick<IRToolCall, 'id' | 'function'>): GeminiPartOut => ({
  functionCall: { ...(call.id ? { id: call.id } : {}), name: call.function.name, args: argsOf(call.function.arguments) },
});

/** A non-streamed IR answer as a GenerateContentResponse; `responseId` is the gateway's request id. */
export function geminiResponseBody(ir: IRResponse, ctx: InboundContext): object {
  const candidates: CandidateOut[] = ir.choices.map((choice) => {
    const parts: GeminiPartOut[] = [];
    if (choice.message.content) parts.push({ text: choice.message.content });
    for (const call of choice.message.tool_calls ?? []) parts.push(callPart(call));
    return { content: { role: 'model', parts: parts.length > 0 ? parts : [{ text: '' }] }, finishReason: geminiFinishReason(choice.finish_reason), index: choice.index };
  });
  const usageMetadata = usageMetadataOf(ir.usage);
  return { candidates, ...(usageMetadata ? { usageMetadata } : {}), modelVersion: ctx.model, responseId: ctx.requestId };
}

interface PendingCall {
  id?: string;
  name: string;
  arguments: string;
}

/**
 * Streams IR chunks as Gemini SSE events. Text goes out as it arrives. Tool-call arguments arrive in fragments in the
 * IR but Gemini sends each call whole, so calls are held until the stream ends and go out on the last event, with the
 * finish reasons and usage.
 */
export function geminiStreamWriter(ctx: InboundContext): InboundStreamWriter {
  const calls = new Map<number, Map<number, PendingCall>>();
  const finishes = new Map<number, IRFinishReason>();
  const seen = new Set<number>();
  let usage: IRUsage | undefined;
  const event = (candidates: CandidateOut[], extra: object = {}) =>
    `data: ${JSON.stringify({ candidates, ...extra, modelVersion: ctx.model, responseId: ctx.requestId })}`;

  return {
    chunk(chunk: IRChunk) {
      if (chunk.usage) usage = chunk.usage;
      const candidates: CandidateOut[] = [];
      for (const choice of chunk.choices ?? []) {
        seen.add(choice.index);
        if (choice.finish_reason) finishes.set(choice.index, choice.finish_reason);
        for (const delta of choice.delta?.tool_calls ?? []) {
          const byIndex = calls.get(choice.index) ?? new Map<number, PendingCall>();
          calls.set(choice.index, byIndex);
          const pending = byIndex.get(delta.index) ?? { name: '', arguments: '' };
          if (delta.id) pending.id = delta.id;
          if (delta.function?.name) pending.name = delta.function.name;
          if (delta.function?.arguments) pending.arguments += delta.function.arguments;
          byIndex.set(delta.index, pending);
        }
        const text = choice.delta?.content;
        if (typeof text === 'string' && text.length > 0) candidates.push({ content: { role: 'model', parts: [{ text }] }, index: choice.index });
      }
      return candidates.length > 0 ? [event(candidates)] : [];
    },
    done() {
      const indexes = [...new Set([...seen, ...calls.keys()])].sort((a, b) => a - b);
      if (indexes.length === 0) indexes.push(0);
      const candidates: CandidateOut[] = indexes.map((index) => {
        const parts = [...(calls.get(index)?.entries() ?? [])]
          .sort(([a], [b]) => a - b)
          .map(([, call]) => callPart({ id: call.id ?? '', function: { name: call.name, arguments: call.arguments } }));
        return { content: { role: 'model', parts: parts.length > 0 ? parts : [{ text: '' }] }, finishReason: geminiFinishReason(finishes.get(index)), index };
      });
      const usageMetadata = usageMetadataOf(usage);
      return [event(candidates, usageMetadata ? { usageMetadata } : {})];
    },
    error(message: string, code: string) {
      const known = (code in ERROR_CATALOGUE ? code : 'upstream_error') as ErrorCode;
      return [`data: ${JSON.stringify(googleErrorBody(gatewayError(known, message)))}`];
    },
  };
}
