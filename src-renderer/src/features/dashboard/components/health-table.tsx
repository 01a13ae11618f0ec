import { Badge } from '../../../components/badge';
import { EmptyState } from '../../../components/states';
import { Meter } from '../../../components/meter';
import { describeCooldown } from '../../../lib/cooldown';
import { formatDuration, formatRelative } from '../../../lib/format';
import type { HealthRow } from '../../../types/gateway';

function status(row: HealthRow): { tone: 'ok' | 'warn' | 'danger' | 'neutral'; label: string } {
  if (!row.enabled) return { tone: 'neutral', label: 'Disabled' };
  if (row.cooling_until) return { tone: 'danger', label: 'Cooling down' };
  if (row.consecutive_failures > 0) return { tone: 'warn', label: 'Degraded' };
  return { tone: 'ok', label: 'Healthy' };
}

/** One line per deployment: status, window usage against limits, latency, last error. */
export function HealthTable({ rows }: { rows: HealthRow[] }) {
  if (rows.length === 0) {
    return (
      <EmptyState title="No deployments yet" action={<a href="#/deployments/new">Add a deployment</a>}>
        Requests are routed to deployments: an upstream endpoint, its key and its limits.
      </EmptyState>
    );
  }
  return (
    <ul className="health-list">
      {rows.map((row) => {
        const s = status(row);
        return (
          <li key={row.id} className="health-item">
            <div className="health-head">
              <strong>{row.name}</strong>
              <span className="muted">{row.model}</span>
              <Badge tone={s.tone}>{s.label}</Badge>
              <span className="muted num">p50 {formatDuration(row.p50_latency_ms)}</span>
            </div>
            <div className="meters">
              <Meter label="Requests/min" value={row.requests_last_minute} limit={row.limits.rpm} />
              <Meter label="Tokens/min" value={row.tokens_last_minute} limit={row.limits.tpm} />
              <Meter label="Tokens/hour" value={row.tokens_last_hour} limit={row.limits.hourly_tokens} />
            </div>
            {row.cooling_until && <p className="small error">{describeCooldown(row)}</p>}
            {row.last_error && (
              <p className="small muted">
                Last error {formatRelative(row.last_error_at)}: <span className="error">{row.last_error}</span>
              </p>
            )}
          </li>
        );
      })}
    </ul>
  );
}
