import { randomBytes } from 'node:crypto';
import type { IRChunk, IRFinishReason, IRResponse, IRToolCallDelta, IRUsage, StreamMapper } from '../../protocols/ir.js';
import type { GeminiPart, ToolCallWithSignature } from './request.js';

/**
 * Gemini `GenerateContentResponse` (JSON answer or SSE event) → IR, shared by the Gemini API and Vertex AI providers.
 * Pure transforms; the stream mapper keeps only the state a stream needs (tool-call numbering, finish, last usage).
 */

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
}

interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  index?: number;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  error?: unknown;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Gemini function calls carry no id (or an opaque one): OpenAI clients need one to answer the call. */
export function newToolCallId(): string {
  return `call_${Array.from(randomBytes(24), (b) => BASE62[b % 62]).join('')}`;
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);

/**
 * Gemini usage → IR usage. Thinking tokens are billed as output but reported apart from `candidatesTokenCount`, so
 * completion = candidates + thoughts and reasoning = thoughts; cached tokens are part of the prompt, as in OpenAI's.
 */
export function usageFromGemini(usage: GeminiUsageMetadata | undefined): IRUsage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const prompt = count(usage.promptTokenCount);
  const thoughts = count(usage.thoughtsTokenCount);
  const completion = count(usage.candidatesTokenCount) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: count(usage.cachedContentTokenCount) },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT']);

/** Gemini finish reasons → OpenAI's; a turn that produced function calls ends in `tool_calls` whatever Gemini says. */
export function finishFromGemini(reason: string | undefined, sawToolCalls: boolean): IRFinishReason {
  if (!reason || reason === 'FINISH_REASON_UNSPECIFIED') return null;
  if (sawToolCalls && reason === 'STOP') return 'tool_calls';
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return 'stop';
}

function toolCall(part: GeminiPart): ToolCallWithSignature {
  const call = part.functionCall!;
  return {
    id: call.id || newToolCallId(),
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
    // Gemini 3 wants the signature back with the call; clients that replay the message object send it back.
    ...(part.thoughtSignature ? { extra_content: { google: { thought_signature: part.thoughtSignature } } } : {}),
  };
}

/** Visible text of a candidate's parts: thought summaries are not part of the answer. */
const answerText = (parts: readonly GeminiPart[]): string => parts.map((p) => (!p.thought && typeof p.text === 'string' ? p.text : '')).join('');

/** A non-streamed Gemini answer as an IR chat completion; `model` is the public model id the client asked for. */
export function fromGeminiResponse(body: unknown, model: string): IRResponse {
  const response = body as GeminiResponse;
  if (!response || typeof response !== 'object' || response.error) throw new TypeError('not a GenerateContentResponse');
  const candidates = Array.isArray(response.candidates) ? response.candidates : [];
  const choices: IRResponse['choices'] = candidates.map((candidate, position) => {
    const parts = Array.isArray(candidate.content?.parts) ? candidate.content.parts : [];
    const calls = parts.filter((p) => p.functionCall?.name).map(toolCall);
    const text = answerText(parts);
    return {
      index: candidate.index ?? position,
      message: { role: 'assistant', content: text || (calls.length > 0 ? null : ''), ...(calls.length > 0 ? { tool_calls: calls } : {}), refusal: null },
      finish_reason: finishFromGemini(candidate.finishReason, calls.length > 0) ?? 'stop',
    };
  });
  // A prompt blocked by safety settings comes back without candidates.
  if (choices.length === 0) choices.push({ index: 0, message: { role: 'assistant', content: '', refusal: null }, finish_reason: response.promptFeedback?.blockReason ? 'content_filter' : 'stop' });
  const usage = usageFromGemini(response.usageMetadata);
  return {
    id: `chatcmpl-${response.responseId ?? newToolCallId().slice(5)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices,
    ...(usage ? { usage } : {}),
  };
}

/**
 * Gemini SSE events → IR chunks. Each event carries text deltas and whole function calls; usage is cumulative, so only
 * the last one counts and it goes out as one usage-only chunk when the upstream ends, OpenAI style. The stream is
 * complete when it ends after a finish reason (Gemini sends no `[DONE]`).
 */
export function geminiStreamMapper(model: string): StreamMapper {
  let id = '';
  const created = Math.floor(Date.now() / 1000);
  const started = new Set<number>();
  const toolCount = new Map<number, number>();
  let finished = false;
  let usage: IRUsage | undefined;
  const chunk = (choices: IRChunk['choices']): IRChunk => ({ id, object: 'chat.completion.chunk', created, model, choices });

  return {
    get complete() {
      return finished;
    },
    map(event) {
      if (event.data === null || event.data === '') return [];
      let response: GeminiResponse;
      try {
        response = JSON.parse(event.data) as GeminiResponse;
      } catch {
        return [];
      }
      if (!response || typeof response !== 'object' || response.error) return [];
      id ||= `chatcmpl-${response.responseId ?? newToolCallId().slice(5)}`;
      usage = usageFromGemini(response.usageMetadata) ?? usage;
      const out: IRChunk[] = [];
      (response.candidates ?? []).forEach((candidate, position) => {
        const index = candidate.index ?? position;
        const parts = Array.isArray(candidate.content?.parts) ? candidate.content.parts : [];
        const text = answerText(parts);
        const calls: IRToolCallDelta[] = parts
          .filter((p) => p.functionCall?.name)
          .map((p) => {
            const n = toolCount.get(index) ?? 0;
            toolCount.set(index, n + 1);
            return { index: n, ...toolCall(p) };
          });
        if (text || calls.length > 0) {
          const delta: IRChunk['choices'][number]['delta'] = started.has(index) ? {} : { role: 'assistant' };
          started.add(index);
          if (text) delta.content = text;
          if (calls.length > 0) delta.tool_calls = calls;
          out.push(chunk([{ index, delta, finish_reason: null }]));
        }
        const finish = finishFromGemini(candidate.finishReason, (toolCount.get(index) ?? 0) > 0);
        if (finish) {
          finished = true;
          out.push(chunk([{ index, delta: {}, finish_reason: finish }]));
        }
      });
      if (!response.candidates?.length && response.promptFeedback?.blockReason) {
        finished = true;
        out.push(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'content_filter' }]));
      }
      return out;
    },
    end() {
      // Mid-stream usage lacks the output count: a cut-off stream is better counted locally from what was sent.
      if (!usage || !finished) return [];
      return [{ ...chunk([]), usage }];
    },
  };
}
