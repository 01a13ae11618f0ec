import { useCallback, type FormEvent } from 'react';
import { Badge } from '../../../components/badge';
import { Dialog } from '../../../components/dialog';
import { InlineError, RequestView } from '../../../components/states';
import { useAction, useRequest } from '../../../hooks/use-request';
import { formatDateTime, formatUsd } from '../../../lib/format';
import type { TicketDetail } from '../../../types/gateway';
import { answerTicket, closeTicket, getTicket } from '../api/support-api';
import { useSupportUiStore } from '../stores/support-ui-store';
import { RequestRecord } from './request-record';

export const STATUS_TONE = { open: 'warn', answered: 'info', closed: 'neutral' } as const;

function Thread({ ticket, onChanged }: { ticket: TicketDetail; onChanged: () => void }) {
  const draft = useSupportUiStore((s) => s.drafts[ticket.id] ?? '');
  const setDraft = useSupportUiStore((s) => s.setDraft);
  const record = useSupportUiStore((s) => s.record);
  const openRecord = useSupportUiStore((s) => s.openRecord);
  const answer = useAction(async (text: string) => {
    await answerTicket(ticket.id, text);
    setDraft(ticket.id, '');
    onChanged();
    return true;
  });
  const close = useAction(async () => {
    await closeTicket(ticket.id);
    onChanged();
    return true;
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (draft.trim()) void answer.run(draft.trim());
  };
  const linked = ticket.requests.find((r) => r.id === record);

  return (
    <article className="thread" aria-labelledby="thread-title" data-testid="ticket-thread">
      <header className="thread-header">
        <div>
          <h2 id="thread-title">{ticket.subject}</h2>
          <p className="muted small">
            {ticket.account_name ?? ticket.account_id} · opened {formatDateTime(ticket.created_at)} · <code>{ticket.id}</code>
          </p>
        </div>
        <div className="button-row">
          <Badge tone={STATUS_TONE[ticket.status as keyof typeof STATUS_TONE] ?? 'neutral'}>{ticket.status}</Badge>
          {ticket.status !== 'closed' && (
            <button type="button" className="button-secondary" onClick={() => void close.run()} disabled={close.pending}>
              Close ticket
            </button>
          )}
        </div>
      </header>
      <InlineError message={close.error} />
      {ticket.requests.length > 0 && (
        <section className="linked" aria-label="Linked requests">
          <h3>Linked requests</h3>
          <ul>
            {ticket.requests.map((r) => (
              <li key={r.id}>
                <button type="button" className="link-button mono" onClick={() => openRecord(r.id)}>
                  {r.id}
                </button>
                {r.usage && (
                  <span className="muted small">
                    {' '}
                    {r.usage.model} · {r.usage.status} · {formatUsd(r.usage.cost_micros)} · {r.ledger.length} ledger rows
                  </span>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <ol className="messages">
        {ticket.messages.map((m, i) => (
          <li key={i} className={`message message-${m.author}`}>
            <header>
              <strong>{m.author === 'admin' ? 'You (admin)' : 'Client'}</strong> <span className="muted small">{formatDateTime(m.created_at)}</span>
            </header>
            <p>{m.body}</p>
          </li>
        ))}
      </ol>
      {ticket.status !== 'closed' ? (
        <form className="form" onSubmit={submit}>
          <label htmlFor="ticket-answer">Answer</label>
          <textarea id="ticket-answer" rows={4} value={draft} onChange={(e) => setDraft(ticket.id, e.target.value)} placeholder="Write your answer to the client…" />
          <InlineError message={answer.error} />
          <div className="button-row">
            <button type="submit" disabled={answer.pending || !draft.trim()}>
              {answer.pending ? 'Sending…' : 'Send answer'}
            </button>
          </div>
        </form>
      ) : (
        <p className="muted">This ticket is closed.</p>
      )}
      <Dialog open={linked !== undefined} title={`Request ${record ?? ''}`} onClose={() => openRecord(null)} wide>
        {linked && <RequestRecord linked={linked} />}
      </Dialog>
    </article>
  );
}

/** The selected ticket, refreshed every few seconds (the client may add messages). */
export function TicketThread({ id, onChanged }: { id: string; onChanged: () => void }) {
  const ticket = useRequest(useCallback((signal: AbortSignal) => getTicket(id, signal), [id]), { pollMs: 5_000 });
  const changed = () => {
    ticket.reload();
    onChanged();
  };
  return <RequestView request={ticket}>{(data) => <Thread ticket={data} onChanged={changed} />}</RequestView>;
}
