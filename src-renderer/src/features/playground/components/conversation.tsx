import { useEffect, useRef } from 'react';
import { EmptyState } from '../../../components/states';
import { formatCount, formatDuration, formatUsd } from '../../../lib/format';
import type { AssistantTurn } from '../stores/playground-store';
import { usePlaygroundStore } from '../stores/playground-store';

function prettyArguments(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function TurnMeta({ turn }: { turn: AssistantTurn }) {
  if (turn.status === 'waiting' || turn.status === 'streaming') return null;
  const usage = turn.usage;
  return (
    <dl className="turn-meta" data-testid="turn-meta">
      <div>
        <dt>Cost</dt>
        <dd className="num" data-testid="turn-cost">
          {usage ? formatUsd(usage.cost_micros) : turn.usageError ? '—' : '…'}
        </dd>
      </div>
      <div>
        <dt>Latency</dt>
        <dd className="num" data-testid="turn-latency">
          {formatDuration(usage?.latency_ms ?? turn.totalMs)}
        </dd>
      </div>
      <div>
        <dt>First token</dt>
        <dd className="num">{formatDuration(usage?.ttft_ms ?? turn.firstTokenMs)}</dd>
      </div>
      {usage && (
        <>
          <div>
            <dt>Tokens</dt>
            <dd className="num">
              {formatCount(usage.prompt_tokens)} in · {formatCount(usage.completion_tokens)} out
              {usage.reasoning_tokens ? ` (${formatCount(usage.reasoning_tokens)} reasoning)` : ''}
            </dd>
          </div>
          {usage.deployment_name && (
            <div>
              <dt>Deployment</dt>
              <dd>{usage.deployment_name}</dd>
            </div>
          )}
        </>
      )}
      {turn.requestId && (
        <div>
          <dt>Request</dt>
          <dd>
            <code>{turn.requestId}</code>
          </dd>
        </div>
      )}
    </dl>
  );
}

function Assistant({ turn }: { turn: AssistantTurn }) {
  const live = turn.status === 'waiting' || turn.status === 'streaming';
  return (
    <article className="turn turn-assistant" aria-busy={live} data-status={turn.status}>
      <header className="turn-role">
        Assistant <span className="muted">{turn.model}</span>
        {live && (
          <span className="streaming" role="status" data-testid="streaming-indicator">
            <span className="spinner" aria-hidden="true" /> {turn.status === 'waiting' ? 'Waiting for the first token…' : 'Streaming…'}
          </span>
        )}
        {turn.status === 'stopped' && <span className="badge badge-warn">Stopped</span>}
      </header>
      <div className="turn-text" data-testid="assistant-output">
        {turn.content}
        {live && <span className="caret" aria-hidden="true" />}
      </div>
      {turn.toolCalls.length > 0 && (
        <div className="tool-calls">
          {turn.toolCalls.map((call, i) => (
            <section key={call.id || i} className="tool-call" data-testid="tool-call" aria-label={`Tool call ${call.name}`}>
              <header>
                <span className="badge badge-info">tool call</span> <code>{call.name || '…'}</code>
                {call.id && <span className="muted small"> {call.id}</span>}
              </header>
              <pre>{prettyArguments(call.arguments)}</pre>
            </section>
          ))}
        </div>
      )}
      {turn.error && (
        <p className="inline-error" role="alert">
          {turn.error}
        </p>
      )}
      <TurnMeta turn={turn} />
    </article>
  );
}

/** The transcript; follows the end while an answer streams in. */
export function Conversation() {
  const turns = usePlaygroundStore((s) => s.turns);
  const listRef = useRef<HTMLDivElement>(null);
  const last = turns[turns.length - 1];
  const lastLength = last && last.role === 'assistant' ? last.content.length + last.toolCalls.length : 0;

  // Follow the end of the transcript (inside its own scroll box, never the window).
  useEffect(() => {
    const list = listRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [turns.length, lastLength]);

  if (turns.length === 0) {
    return (
      <div className="conversation">
      <EmptyState title="Start a conversation">
        Pick a model, write a message and press Send (or Ctrl+Enter). Answers stream in as the upstream produces them, with
        the cost and latency of each turn.
      </EmptyState>
      </div>
    );
  }
  return (
    <div className="conversation" aria-live="off" ref={listRef}>
      {turns.map((turn) =>
        turn.role === 'user' ? (
          <article key={turn.id} className="turn turn-user">
            <header className="turn-role">You</header>
            <div className="turn-text">{turn.content}</div>
          </article>
        ) : (
          <Assistant key={turn.id} turn={turn} />
        ),
      )}
    </div>
  );
}
