import { Badge } from '../../../components/badge';
import { EmptyState, ErrorState, LoadingState } from '../../../components/states';
import { formatDateTime, formatUsd } from '../../../lib/format';
import type { LedgerEntry } from '../../../types/gateway';
import type { useLedger } from '../hooks/use-ledger';

const TYPE_LABEL: Record<string, string> = { top_up: 'Top-up', hold: 'Hold', capture: 'Capture', release: 'Release', adjustment: 'Adjustment' };

/** The signed effect of a row on the balance (credits +, captures −) or on the locked amount (holds, releases). */
function Amount({ row }: { row: LedgerEntry }) {
  const debit = row.type === 'capture' || (row.type === 'adjustment' && row.direction === 'debit');
  const lockMove = row.type === 'hold' || row.type === 'release';
  const sign = lockMove ? '' : debit ? '−' : '+';
  return (
    <span className={lockMove ? 'muted' : debit ? 'error' : 'ok'}>
      {sign}
      {formatUsd(Math.abs(row.amount_micros))}
      {lockMove && <span className="small"> {row.type === 'hold' ? 'locked' : 'unlocked'}</span>}
    </span>
  );
}

export function LedgerTable({ ledger }: { ledger: ReturnType<typeof useLedger> }) {
  if (ledger.status === 'loading') return <LoadingState label="Loading the ledger…" />;
  if (ledger.status === 'error') return <ErrorState error={ledger.error ?? 'Could not load the ledger.'} />;
  if (ledger.rows.length === 0) return <EmptyState title="No ledger rows yet">Top-ups, holds, captures and releases appear here, newest first.</EmptyState>;
  return (
    <>
      <div className="table-wrap">
        <table className="table" data-testid="ledger">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Type</th>
              <th scope="col" className="num">
                Amount
              </th>
              <th scope="col" className="num">
                Balance after
              </th>
              <th scope="col" className="num">
                Locked after
              </th>
              <th scope="col">Request</th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {ledger.rows.map((row) => (
              <tr key={row.id}>
                <td className="tabular small">{formatDateTime(row.created_at)}</td>
                <td>
                  <Badge tone={row.type === 'top_up' ? 'ok' : row.type === 'adjustment' ? 'warn' : row.type === 'capture' ? 'info' : 'neutral'}>{TYPE_LABEL[row.type] ?? row.type}</Badge>
                </td>
                <td className="num">
                  <Amount row={row} />
                </td>
                <td className="num">{formatUsd(row.balance_after_micros)}</td>
                <td className="num">{formatUsd(row.locked_after_micros)}</td>
                <td className="small">{row.request_id ? <code title={row.request_id}>{row.request_id}</code> : <span className="muted">—</span>}</td>
                <td className="small">{row.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="pager">
        {ledger.nextCursor ? (
          <button type="button" className="button-secondary" onClick={() => void ledger.loadMore()} disabled={ledger.loadingMore}>
            {ledger.loadingMore ? 'Loading…' : 'Load older rows'}
          </button>
        ) : (
          <span className="muted small">Beginning of the ledger · {ledger.rows.length} rows</span>
        )}
      </div>
    </>
  );
}
