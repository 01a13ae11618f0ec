import { Badge, requestStatusTone } from '../../../components/badge';
import { EmptyState } from '../../../components/states';
import { formatCount, formatDuration, formatTime, formatUsd } from '../../../lib/format';
import { useLiveFeedStore } from '../stores/live-feed-store';

/** Requests as they finish, from the live event feed. */
export function LiveRequests() {
  const requests = useLiveFeedStore((store) => store.requests);
  if (requests.length === 0) {
    return (
      <EmptyState title="Waiting for requests">
        Calls through the gateway appear here the moment they finish — try the <a href="#/playground">playground</a>.
      </EmptyState>
    );
  }
  return (
    <div className="table-wrap">
      <table className="table" data-testid="live-requests">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Model</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Tokens
            </th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col" className="num">
              Latency
            </th>
          </tr>
        </thead>
        <tbody>
          {requests.slice(0, 25).map((r) => (
            <tr key={r.id}>
              <td className="tabular">{formatTime(r.created_at)}</td>
              <td>
                {r.model}
                {r.deployment_name && <span className="muted"> · {r.deployment_name}</span>}
              </td>
              <td>
                <Badge tone={requestStatusTone(r.status)} title={r.error_code ?? undefined}>
                  {r.status}
                </Badge>
              </td>
              <td className="num">{formatCount(r.total_tokens)}</td>
              <td className="num">{formatUsd(r.cost_micros)}</td>
              <td className="num">{formatDuration(r.latency_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
