import { Badge, requestStatusTone } from '../../../components/badge';
import { EmptyState, ErrorState, LoadingState } from '../../../components/states';
import { formatCount, formatDateTime, formatDuration, formatUsd } from '../../../lib/format';
import type { useRequestLog } from '../hooks/use-request-log';
import { useUsageUiStore } from '../stores/usage-ui-store';

/** The request log table with "Load more"; a row's id opens its full record. */
export function RequestLog({ log, filtered }: { log: ReturnType<typeof useRequestLog>; filtered: boolean }) {
  const inspect = useUsageUiStore((s) => s.inspect);
  if (log.status === 'loading') return <LoadingState label="Loading requests…" />;
  if (log.status === 'error') return <ErrorState error={log.error ?? 'Could not load requests.'} onRetry={() => void log.refreshHead()} />;
  if (log.rows.length === 0) {
    return (
      <EmptyState title={filtered ? 'No request matches these filters' : 'No requests yet'}>
        {filtered ? 'Widen the time range or clear the filters.' : 'Requests appear here as soon as they finish; this list refreshes by itself.'}
      </EmptyState>
    );
  }
  return (
    <>
      <div className="table-wrap">
        <table className="table" data-testid="request-log">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Request</th>
              <th scope="col">Model</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Tokens in / out
              </th>
              <th scope="col" className="num">
                Cost
              </th>
              <th scope="col" className="num">
                Latency
              </th>
              <th scope="col" className="num">
                TTFT
              </th>
            </tr>
          </thead>
          <tbody>
            {log.rows.map((r) => (
              <tr key={r.id} data-request-id={r.id}>
                <td className="tabular small">{formatDateTime(r.created_at)}</td>
                <td>
                  <button type="button" className="link-button mono small" onClick={() => inspect(r.id)} aria-label={`Open request ${r.id}`}>
                    {r.id}
                  </button>
                </td>
                <td>
                  {r.model}
                  {r.deployment_name && <div className="muted small">{r.deployment_name}</div>}
                </td>
                <td className="small">
                  {r.endpoint}
                  {r.stream && <span className="muted"> · stream</span>}
                  <div className="muted">{r.source}</div>
                </td>
                <td>
                  <Badge tone={requestStatusTone(r.status)} title={r.error_message ?? undefined}>
                    {r.status}
                    {r.http_status && r.status !== 'ok' ? ` ${r.http_status}` : ''}
                  </Badge>
                  {r.error_code && <div className="small error">{r.error_code}</div>}
                </td>
                <td className="num">
                  {formatCount(r.prompt_tokens)} / {formatCount(r.completion_tokens)}
                </td>
                <td className="num">{formatUsd(r.cost_micros)}</td>
                <td className="num">{formatDuration(r.latency_ms)}</td>
                <td className="num">{formatDuration(r.ttft_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="pager">
        {log.nextCursor ? (
          <button type="button" className="button-secondary" onClick={() => void log.loadMore()} disabled={log.loadingMore}>
            {log.loadingMore ? 'Loading…' : 'Load older requests'}
          </button>
        ) : (
          <span className="muted small">{log.rows.length} requests · end of the log</span>
        )}
      </div>
    </>
  );
}
