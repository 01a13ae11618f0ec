import { useCallback, useEffect } from 'react';
import { Badge } from '../../../components/badge';
import { PageHeader } from '../../../components/page-header';
import { EmptyState, ErrorState, LoadingState } from '../../../components/states';
import { useCursorList } from '../../../hooks/use-cursor-list';
import { formatRelative } from '../../../lib/format';
import { listTickets } from '../api/support-api';
import { useSupportUiStore } from '../stores/support-ui-store';
import { STATUS_TONE, TicketThread } from './ticket-thread';

const FILTERS = [
  { id: '', label: 'All' },
  { id: 'open', label: 'Open' },
  { id: 'answered', label: 'Answered' },
  { id: 'closed', label: 'Closed' },
] as const;

/** Tickets clients opened about their requests: read the thread and the linked records, answer, close. */
export function SupportPage() {
  const { status, setStatus, selected, select } = useSupportUiStore();
  const fetchPage = useCallback((cursor: string | null, signal?: AbortSignal) => listTickets(status, cursor, signal), [status]);
  const tickets = useCursorList(fetchPage, { pollMs: 5_000 });

  useEffect(() => () => useSupportUiStore.getState().openRecord(null), []);
  useEffect(() => {
    if (tickets.status === 'ready' && tickets.rows.length > 0 && !tickets.rows.some((t) => t.id === selected)) select(tickets.rows[0].id);
  }, [tickets.status, tickets.rows, selected, select]);

  return (
    <section className="page">
      <PageHeader title="Support" description="Clients open tickets with POST /v1/support/tickets, linking their own requests." />
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Ticket status">
          {FILTERS.map((f) => (
            <button key={f.id || 'all'} type="button" aria-pressed={status === f.id} onClick={() => setStatus(f.id)}>
              {f.label}
            </button>
          ))}
        </div>
      </div>
      {tickets.status === 'loading' && <LoadingState label="Loading tickets…" />}
      {tickets.status === 'error' && <ErrorState error={tickets.error ?? 'Could not load tickets.'} onRetry={() => void tickets.refreshHead()} />}
      {tickets.status === 'ready' && tickets.rows.length === 0 && (
        <EmptyState title={status ? `No ${status} tickets` : 'No tickets yet'}>
          When a client opens a ticket about one of its requests, it shows up here with the request&apos;s full record.
        </EmptyState>
      )}
      {tickets.rows.length > 0 && (
        <div className="support-layout">
          <nav className="panel ticket-list" aria-label="Tickets">
            <ul>
              {tickets.rows.map((t) => (
                <li key={t.id}>
                  <button type="button" className="ticket-item" aria-current={t.id === selected ? 'true' : undefined} onClick={() => select(t.id)}>
                    <span className="ticket-subject">{t.subject}</span>
                    <span className="ticket-meta">
                      <Badge tone={STATUS_TONE[t.status as keyof typeof STATUS_TONE] ?? 'neutral'}>{t.status}</Badge>
                      <span className="muted small">
                        {t.messages.length} message{t.messages.length === 1 ? '' : 's'} · {formatRelative(t.updated_at)}
                      </span>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
            {tickets.nextCursor && (
              <button type="button" className="button-secondary button-small" onClick={() => void tickets.loadMore()} disabled={tickets.loadingMore}>
                Load more
              </button>
            )}
          </nav>
          <div className="panel">{selected ? <TicketThread key={selected} id={selected} onChanged={() => void tickets.refreshHead()} /> : <p className="muted">Pick a ticket.</p>}</div>
        </div>
      )}
    </section>
  );
}
