import { useCallback, useEffect, useMemo } from 'react';
import { PageHeader } from '../../../components/page-header';
import { RequestView } from '../../../components/states';
import { useRequest } from '../../../hooks/use-request';
import { formatCount, formatDuration, formatUsd } from '../../../lib/format';
import { getRollups, listModelIds } from '../api/usage-api';
import { useRequestLog } from '../hooks/use-request-log';
import { useUsageUiStore, type UsageRange } from '../stores/usage-ui-store';
import { bucketsBetween, RANGE_MS, shapeRollups } from '../utils/chart-data';
import { ModelBreakdown } from './model-breakdown';
import { RequestDetail } from './request-detail';
import { RequestLog } from './request-log';
import { UsageCharts } from './usage-charts';

const POLL_MS = 4_000;
const RANGES: { id: UsageRange; label: string }[] = [
  { id: '24h', label: 'Last 24 hours' },
  { id: '7d', label: 'Last 7 days' },
  { id: '30d', label: 'Last 30 days' },
];

function Filters({ models }: { models: string[] }) {
  const { filters, setFilters, resetFilters } = useUsageUiStore();
  const active = Object.values(filters).some(Boolean);
  return (
    <form className="toolbar filters" role="search" aria-label="Filter requests" onSubmit={(e) => e.preventDefault()}>
      <label className="inline-label">
        Model
        <select value={filters.model} onChange={(e) => setFilters({ model: e.target.value })}>
          <option value="">All models</option>
          {models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label className="inline-label">
        Status
        <select value={filters.status} onChange={(e) => setFilters({ status: e.target.value })}>
          <option value="">Any</option>
          <option value="ok">ok</option>
          <option value="error">error</option>
          <option value="cancelled">cancelled</option>
          <option value="pending">pending</option>
        </select>
      </label>
      <label className="inline-label">
        From
        <input type="datetime-local" value={filters.from} onChange={(e) => setFilters({ from: e.target.value })} />
      </label>
      <label className="inline-label">
        To
        <input type="datetime-local" value={filters.to} onChange={(e) => setFilters({ to: e.target.value })} />
      </label>
      {active && (
        <button type="button" className="button-ghost" onClick={resetFilters}>
          Clear filters
        </button>
      )}
    </form>
  );
}

/** Charts by hour/day and by model from the rollups, and the filtered request log; refreshed every few seconds. */
export function UsagePage() {
  const { range, granularity, filters, setRange, setGranularity } = useUsageUiStore();
  const loadRollups = useCallback((signal: AbortSignal) => getRollups(granularity, Date.now() - RANGE_MS[range], signal), [granularity, range]);
  const rollups = useRequest(loadRollups, { pollMs: POLL_MS });
  const catalog = useRequest(useCallback((signal: AbortSignal) => listModelIds(signal), []));
  const log = useRequestLog(filters, POLL_MS);
  useEffect(() => () => useUsageUiStore.getState().inspect(null), []);

  const shaped = useMemo(() => {
    if (rollups.status !== 'success') return undefined;
    const rows = filters.model ? rollups.data.filter((r) => r.model === filters.model) : rollups.data;
    return shapeRollups(rows, bucketsBetween(Date.now() - RANGE_MS[range], Date.now(), granularity), granularity);
  }, [rollups, filters.model, range, granularity]);

  const modelOptions = useMemo(() => {
    const seen = new Set<string>(rollups.status === 'success' ? rollups.data.map((r) => r.model) : []);
    if (catalog.status === 'success') for (const id of catalog.data) seen.add(id);
    return [...seen].sort();
  }, [rollups, catalog]);

  const totals = shaped?.byModel.reduce(
    (t, r) => ({ requests: t.requests + r.requests, errors: t.errors + r.errors, tokens: t.tokens + r.prompt_tokens + r.completion_tokens, cost: t.cost + r.cost_micros, latency: t.latency + (r.avg_latency_ms ?? 0) * r.requests }),
    { requests: 0, errors: 0, tokens: 0, cost: 0, latency: 0 },
  );

  return (
    <section className="page">
      <PageHeader
        title="Usage"
        description="Requests, tokens, cost and latency across all accounts. Updates every few seconds."
        refreshing={rollups.refreshing}
        actions={
          <div className="toolbar">
            <label className="inline-label">
              Range
              <select value={range} onChange={(e) => setRange(e.target.value as UsageRange)}>
                {RANGES.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.label}
                  </option>
                ))}
              </select>
            </label>
            <div className="segmented" role="group" aria-label="Granularity">
              <button type="button" aria-pressed={granularity === 'hour'} onClick={() => setGranularity('hour')}>
                By hour
              </button>
              <button type="button" aria-pressed={granularity === 'day'} onClick={() => setGranularity('day')}>
                By day
              </button>
            </div>
          </div>
        }
      />
      <RequestView request={rollups} loadingLabel="Loading usage…">
        {() =>
          shaped &&
          totals && (
            <>
              <div className="stats">
                <div className="stat">
                  <div className="stat-label">Requests</div>
                  <div className="stat-value num" data-testid="usage-total-requests">
                    {formatCount(totals.requests)}
                  </div>
                  <div className="stat-detail muted">{formatCount(totals.errors)} errors</div>
                </div>
                <div className="stat">
                  <div className="stat-label">Tokens</div>
                  <div className="stat-value num">{formatCount(totals.tokens)}</div>
                </div>
                <div className="stat">
                  <div className="stat-label">Cost</div>
                  <div className="stat-value num" data-testid="usage-total-cost">
                    {formatUsd(totals.cost)}
                  </div>
                </div>
                <div className="stat">
                  <div className="stat-label">Average latency</div>
                  <div className="stat-value num">{totals.requests ? formatDuration(totals.latency / totals.requests) : '—'}</div>
                </div>
              </div>
              <UsageCharts series={shaped.series} models={shaped.models} />
              <section className="panel" aria-labelledby="by-model-title">
                <header className="panel-header">
                  <h2 id="by-model-title">By model</h2>
                </header>
                <ModelBreakdown rows={shaped.byModel} models={shaped.models} />
              </section>
            </>
          )
        }
      </RequestView>
      <section className="panel" aria-labelledby="log-title">
        <header className="panel-header">
          <h2 id="log-title">Request log</h2>
          <span className="muted small">The model filter also applies to the charts above.</span>
        </header>
        <Filters models={modelOptions} />
        <RequestLog log={log} filtered={Object.values(filters).some(Boolean)} />
      </section>
      <RequestDetail />
    </section>
  );
}
