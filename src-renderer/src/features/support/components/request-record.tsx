import { Badge, requestStatusTone } from '../../../components/badge';
import { formatCount, formatDateTime, formatDuration, formatUsd } from '../../../lib/format';
import type { TicketDetail } from '../../../types/gateway';

type LinkedRequest = TicketDetail['requests'][number];

const MONEY = new Set(['cost_micros', 'hold_micros', 'shortfall_micros']);
const DURATION = new Set(['latency_ms', 'ttft_ms']);

function value(key: string, v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (MONEY.has(key)) return formatUsd(v as number);
  if (DURATION.has(key)) return formatDuration(v as number);
  if (key === 'created_at') return formatDateTime(v as number);
  if (typeof v === 'number') return formatCount(v);
  return String(v);
}

/** A linked request's full record: its usage row and every ledger row it caused. */
export function RequestRecord({ linked }: { linked: LinkedRequest }) {
  if (!linked.usage) return <p className="muted">No usage row for {linked.id} (it may belong to a data directory that was reset).</p>;
  const usage = linked.usage;
  return (
    <div className="stack" data-testid="request-record">
      <div className="record-summary">
        <Badge tone={requestStatusTone(usage.status)}>{usage.status}</Badge>
        <span>{usage.model}</span>
        <span className="num">{formatUsd(usage.cost_micros)}</span>
        <span className="num">{formatDuration(usage.latency_ms)}</span>
      </div>
      <h3>Usage row</h3>
      <dl className="record">
        {Object.entries(usage).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{value(k, v)}</dd>
          </div>
        ))}
      </dl>
      <h3>Ledger rows</h3>
      {linked.ledger.length === 0 ? (
        <p className="muted">No ledger rows.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
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
                <th scope="col">Id</th>
              </tr>
            </thead>
            <tbody>
              {linked.ledger.map((row) => (
                <tr key={row.id}>
                  <td className="tabular small">{formatDateTime(row.created_at)}</td>
                  <td>{row.type}</td>
                  <td className="num">{formatUsd(row.amount_micros)}</td>
                  <td className="num">{formatUsd(row.balance_after_micros)}</td>
                  <td className="num">{formatUsd(row.locked_after_micros)}</td>
                  <td className="small">
                    <code>{row.id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
