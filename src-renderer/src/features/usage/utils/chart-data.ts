import type { RollupRow } from '../../../types/gateway';

export const RANGE_MS = { '24h': 24 * 3_600_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;

/** Series colours readable on both the light and the dark background. */
export const PALETTE = ['#4f7cff', '#22a06b', '#e2873a', '#b35ee8', '#e0526b', '#1ea7b8', '#a3a13a', '#7b8794'];

/** Start of the UTC hour/day containing `ms`, as the API's bucket string. */
export function bucketOf(ms: number, granularity: 'hour' | 'day'): string {
  const d = new Date(ms);
  if (granularity === 'day') d.setUTCHours(0, 0, 0, 0);
  else d.setUTCMinutes(0, 0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Every bucket from `fromMs` to now, so quiet periods show as zero instead of disappearing. */
export function bucketsBetween(fromMs: number, toMs: number, granularity: 'hour' | 'day'): string[] {
  const step = granularity === 'hour' ? 3_600_000 : 86_400_000;
  const out: string[] = [];
  for (let t = Date.parse(bucketOf(fromMs, granularity)); t <= toMs; t += step) out.push(bucketOf(t, granularity));
  return out;
}

export function bucketLabel(bucket: string, granularity: 'hour' | 'day'): string {
  const d = new Date(bucket);
  return granularity === 'hour'
    ? d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
    : // Day buckets are UTC days: label them as such, or a negative offset would show the day before.
      d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export interface BucketPoint {
  bucket: string;
  label: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_micros: number;
  /** Request-weighted average over the models in the bucket; null when there were none. */
  avg_latency_ms: number | null;
  /** Per-model request and cost counts, keyed `requests:<model>` / `cost:<model>`. */
  [series: string]: number | string | null;
}

export interface ModelTotals {
  model: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_micros: number;
  avg_latency_ms: number | null;
}

/** Rollup rows (bucket × model) → one point per bucket for the charts, plus the totals per model. */
export function shapeRollups(rows: RollupRow[], buckets: string[], granularity: 'hour' | 'day') {
  const models = [...new Set(rows.map((r) => r.model))].sort();
  const points = new Map<string, BucketPoint>();
  const latencyWeight = new Map<string, { sum: number; n: number }>();
  for (const bucket of buckets) {
    const point: BucketPoint = { bucket, label: bucketLabel(bucket, granularity), requests: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, cost_micros: 0, avg_latency_ms: null };
    for (const m of models) {
      point[`requests:${m}`] = 0;
      point[`cost:${m}`] = 0;
    }
    points.set(bucket, point);
  }
  const totals = new Map<string, ModelTotals & { latencySum: number; latencyN: number }>();
  for (const row of rows) {
    let point = points.get(row.bucket);
    if (!point) {
      point = { bucket: row.bucket, label: bucketLabel(row.bucket, granularity), requests: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, cost_micros: 0, avg_latency_ms: null };
      points.set(row.bucket, point);
    }
    point.requests += row.requests;
    point.errors += row.errors;
    point.prompt_tokens += row.prompt_tokens;
    point.completion_tokens += row.completion_tokens;
    point.cost_micros += row.cost_micros;
    point[`requests:${row.model}`] = ((point[`requests:${row.model}`] as number) ?? 0) + row.requests;
    point[`cost:${row.model}`] = ((point[`cost:${row.model}`] as number) ?? 0) + row.cost_micros;
    if (row.avg_latency_ms !== null && row.avg_latency_ms !== undefined) {
      const w = latencyWeight.get(row.bucket) ?? { sum: 0, n: 0 };
      w.sum += row.avg_latency_ms * row.requests;
      w.n += row.requests;
      latencyWeight.set(row.bucket, w);
    }
    const t = totals.get(row.model) ?? { model: row.model, requests: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, cost_micros: 0, avg_latency_ms: null, latencySum: 0, latencyN: 0 };
    t.requests += row.requests;
    t.errors += row.errors;
    t.prompt_tokens += row.prompt_tokens;
    t.completion_tokens += row.completion_tokens;
    t.cost_micros += row.cost_micros;
    if (row.avg_latency_ms !== null && row.avg_latency_ms !== undefined) {
      t.latencySum += row.avg_latency_ms * row.requests;
      t.latencyN += row.requests;
    }
    totals.set(row.model, t);
  }
  for (const [bucket, w] of latencyWeight) {
    const point = points.get(bucket);
    if (point && w.n > 0) point.avg_latency_ms = Math.round(w.sum / w.n);
  }
  const series = [...points.values()].sort((a, b) => a.bucket.localeCompare(b.bucket));
  const byModel: ModelTotals[] = [...totals.values()]
    .map(({ latencySum, latencyN, ...t }) => ({ ...t, avg_latency_ms: latencyN > 0 ? Math.round(latencySum / latencyN) : null }))
    .sort((a, b) => b.cost_micros - a.cost_micros || b.requests - a.requests);
  return { models, series, byModel };
}
