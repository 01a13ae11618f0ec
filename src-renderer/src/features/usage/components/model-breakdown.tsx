import { EmptyState } from '../../../components/states';
import { formatCount, formatDuration, formatUsd } from '../../../lib/format';
import { PALETTE, type ModelTotals } from '../utils/chart-data';

/** Totals per model over the range, with each model's share of the cost as a bar. */
export function ModelBreakdown({ rows, models }: { rows: ModelTotals[]; models: string[] }) {
  if (rows.length === 0) return <EmptyState title="No usage in this range" />;
  const totalCost = rows.reduce((s, r) => s + r.cost_micros, 0);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="by-model">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Errors
            </th>
            <th scope="col" className="num">
              Tokens in / out
            </th>
            <th scope="col" className="num">
              Avg latency
            </th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col">Share of cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const share = totalCost > 0 ? r.cost_micros / totalCost : 0;
            return (
              <tr key={r.model}>
                <td>
                  <span className="swatch" style={{ background: PALETTE[models.indexOf(r.model) % PALETTE.length] }} aria-hidden="true" />
                  {r.model}
                </td>
                <td className="num">{formatCount(r.requests)}</td>
                <td className="num">{formatCount(r.errors)}</td>
                <td className="num">
                  {formatCount(r.prompt_tokens)} / {formatCount(r.completion_tokens)}
                </td>
                <td className="num">{formatDuration(r.avg_latency_ms)}</td>
                <td className="num">{formatUsd(r.cost_micros)}</td>
                <td>
                  <div className="share" title={`${(share * 100).toFixed(1)}%`}>
                    <div className="share-fill" style={{ width: `${Math.round(share * 100)}%` }} />
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
