import { apiFetch, apiGet, type ListPage } from '../../../lib/api-client';
import { readSse } from '../../../lib/sse';
import type { Account, Deployment, ModelInfo, UsageRecord } from '../../../types/gateway';

export interface PickerModel {
  id: string;
  /** Names of the enabled deployments serving it. */
  deployments: string[];
  fastModeAvailable: boolean;
}

/** Chat models with their enabled deployments (models nobody serves are listed last, with none). */
export async function listChatModels(signal?: AbortSignal): Promise<PickerModel[]> {
  const [models, deployments] = await Promise.all([
    apiGet<ListPage<ModelInfo>>('/admin/api/models', signal),
    apiGet<ListPage<Deployment>>('/admin/api/deployments', signal),
  ]);
  return models.data
    .filter((m) => m.modality === 'chat')
    .map((m) => {
      const serving = deployments.data.filter((d) => d.model === m.id && d.enabled);
      return { id: m.id, deployments: serving.map((d) => d.name), fastModeAvailable: serving.some((d) => d.fastMode) };
    })
    .sort((a, b) => Number(b.deployments.length > 0) - Number(a.deployments.length > 0) || a.id.localeCompare(b.id));
}

export async function listAccounts(signal?: AbortSignal): Promise<Account[]> {
  return (await apiGet<ListPage<Account>>('/admin/api/accounts', signal)).data;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** What a chat turn produced, as it grows. */
export interface ChatProgress {
  onStart(requestId: string | null): void;
  onText(delta: string): void;
  onToolCalls(calls: ToolCall[]): void;
}

interface ChunkDelta {
  content?: string | null;
  tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
}

/** Merges streamed tool-call fragments (by index) into whole calls. */
function mergeToolCalls(calls: ToolCall[], fragments: NonNullable<ChunkDelta['tool_calls']>): ToolCall[] {
  const next = [...calls];
  for (const f of fragments) {
    const current = next[f.index] ?? { id: '', name: '', arguments: '' };
    next[f.index] = {
      id: f.id ?? current.id,
      name: current.name + (f.function?.name ?? ''),
      arguments: current.arguments + (f.function?.arguments ?? ''),
    };
  }
  return next;
}

/**
 * `POST /playground/chat/completions`. Streaming bodies are read with fetch + ReadableStream and reported delta by
 * delta as they arrive; a non-streaming answer is reported in one piece. Resolves with the request id (from
 * `X-Omixa-Request-Id`) once the answer is complete; rejects on an HTTP error, an in-stream error or an abort.
 */
export async function runChat(body: Record<string, unknown>, signal: AbortSignal, progress: ChatProgress): Promise<string | null> {
  const response = await apiFetch('/playground/chat/completions', {
    method: 'POST',
    signal,
    headers: { 'Content-Type': 'application/json', Accept: body.stream ? 'text/event-stream' : 'application/json' },
    body: JSON.stringify(body),
  });
  const requestId = response.headers.get('x-omixa-request-id');
  progress.onStart(requestId);

  if (!body.stream) {
    const json = (await response.json()) as { choices?: { message?: { content?: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[] } }[] };
    const message = json.choices?.[0]?.message;
    if (message?.content) progress.onText(message.content);
    if (message?.tool_calls?.length) progress.onToolCalls(message.tool_calls.map((t) => ({ id: t.id, name: t.function.name, arguments: t.function.arguments })));
    return requestId;
  }

  if (!response.body) throw new Error('The answer has no body.');
  let toolCalls: ToolCall[] = [];
  for await (const event of readSse(response.body, signal)) {
    if (event.data === '[DONE]') break;
    let chunk: { choices?: { delta?: ChunkDelta }[]; error?: { message?: string } };
    try {
      chunk = JSON.parse(event.data);
    } catch {
      continue;
    }
    if (chunk.error) throw new Error(chunk.error.message ?? 'The upstream failed mid-stream.');
    const delta = chunk.choices?.[0]?.delta;
    if (delta?.content) progress.onText(delta.content);
    if (delta?.tool_calls?.length) {
      toolCalls = mergeToolCalls(toolCalls, delta.tool_calls);
      progress.onToolCalls(toolCalls);
    }
  }
  if (signal.aborted) throw new DOMException('Stopped', 'AbortError');
  return requestId;
}

/**
 * The usage row of a finished request (`GET /admin/api/usage/requests/:id`): its cost and latency. The row is
 * finalised just after the last byte, so a pending row is asked again a few times.
 */
export async function getTurnUsage(requestId: string, signal?: AbortSignal): Promise<UsageRecord> {
  let record = await apiGet<UsageRecord>(`/admin/api/usage/requests/${encodeURIComponent(requestId)}`, signal);
  for (let attempt = 0; record.status === 'pending' && attempt < 20; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    record = await apiGet<UsageRecord>(`/admin/api/usage/requests/${encodeURIComponent(requestId)}`, signal);
  }
  return record;
}
