import { useCallback, useEffect, useRef } from 'react';
import { getTurnUsage, runChat } from '../api/playground-api';
import { usePlaygroundStore, type PlaygroundParams, type Turn } from '../stores/playground-store';

let nextId = 0;
const turnId = () => `turn-${Date.now().toString(36)}-${nextId++}`;

/** The OpenAI chat body for `params` and the conversation so far (without the playground-only `account`). */
export function buildChatRequest(params: PlaygroundParams, turns: readonly Turn[], extraUserMessage?: string): Record<string, unknown> {
  const messages: { role: string; content: string }[] = [];
  if (params.system.trim()) messages.push({ role: 'system', content: params.system });
  for (const turn of turns) {
    // Assistant turns that only called tools have no text to send back (there are no tool results to pair them with).
    if (turn.role === 'assistant' && !turn.content) continue;
    if (turn.role === 'assistant' && turn.status === 'error') continue;
    messages.push({ role: turn.role, content: turn.content });
  }
  if (extraUserMessage !== undefined) messages.push({ role: 'user', content: extraUserMessage });
  const body: Record<string, unknown> = { model: params.model, messages };
  const temperature = Number(params.temperature);
  if (params.temperature.trim() !== '' && Number.isFinite(temperature)) body.temperature = temperature;
  const maxTokens = Number(params.maxTokens);
  if (params.maxTokens.trim() !== '' && Number.isInteger(maxTokens) && maxTokens > 0) body.max_tokens = maxTokens;
  if (params.reasoningEffort) body.reasoning_effort = params.reasoningEffort;
  if (params.fastMode) body.service_tier = 'priority';
  if (params.tools.trim()) body.tools = JSON.parse(params.tools);
  if (params.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

/** Sends the draft as the next user turn and streams the answer into the store; `stop` aborts it. */
export function useChat() {
  const controllerRef = useRef<AbortController | null>(null);

  // Leaving the page stops a running answer (the gateway then bills only what was generated).
  useEffect(() => () => controllerRef.current?.abort(), []);

  const send = useCallback(async (): Promise<string | null> => {
    const { params, turns, draft, addTurns, updateAssistant, setDraft } = usePlaygroundStore.getState();
    const text = draft.trim();
    if (controllerRef.current) return null;
    if (!params.model) return 'Pick a model first.';
    if (!text) return 'Write a message first.';
    let body: Record<string, unknown>;
    try {
      body = buildChatRequest(params, turns, text);
    } catch {
      return 'Tools must be a JSON array of tool definitions.';
    }
    if (params.account) body.account = params.account;

    const assistantId = turnId();
    const startedAt = performance.now();
    addTurns(
      { id: turnId(), role: 'user', content: text },
      { id: assistantId, role: 'assistant', content: '', toolCalls: [], status: 'waiting', requestId: null, startedAt, model: params.model },
    );
    setDraft('');
    const controller = new AbortController();
    controllerRef.current = controller;
    let requestId: string | null = null;
    try {
      await runChat(body, controller.signal, {
        onStart: (id) => {
          requestId = id;
          updateAssistant(assistantId, () => ({ requestId: id, status: 'streaming' }));
        },
        onText: (delta) =>
          updateAssistant(assistantId, (t) => ({
            content: t.content + delta,
            firstTokenMs: t.firstTokenMs ?? performance.now() - startedAt,
          })),
        onToolCalls: (calls) => updateAssistant(assistantId, (t) => ({ toolCalls: calls, firstTokenMs: t.firstTokenMs ?? performance.now() - startedAt })),
      });
      updateAssistant(assistantId, () => ({ status: 'done', totalMs: performance.now() - startedAt }));
    } catch (err) {
      const stopped = controller.signal.aborted;
      updateAssistant(assistantId, () => ({
        status: stopped ? 'stopped' : 'error',
        error: stopped ? undefined : err instanceof Error ? err.message : String(err),
        totalMs: performance.now() - startedAt,
      }));
    } finally {
      controllerRef.current = null;
    }
    if (requestId) {
      try {
        const usage = await getTurnUsage(requestId);
        updateAssistant(assistantId, () => ({ usage }));
      } catch (err) {
        updateAssistant(assistantId, () => ({ usageError: err instanceof Error ? err.message : String(err) }));
      }
    }
    return null;
  }, []);

  const stop = useCallback(() => controllerRef.current?.abort(), []);
  return { send, stop };
}
