import type { ReactElement } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCompact, formatDuration, formatUsd, formatUsdShort } from '../../../lib/format';
import { PALETTE, type BucketPoint } from '../utils/chart-data';

const TOOLTIP_STYLE = { background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, color: 'var(--text)', fontSize: 12 };
const HEIGHT = 200;

function ChartCard({ title, summary, children }: { title: string; summary: string; children: ReactElement }) {
  return (
    <figure className="panel chart-card">
      <figcaption>
        <h3>{title}</h3>
        <span className="muted small num">{summary}</span>
      </figcaption>
      <div className="chart" role="img" aria-label={`${title}: ${summary}`}>
        <ResponsiveContainer width="100%" height={HEIGHT}>
          {children}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

interface UsageChartsProps {
  series: BucketPoint[];
  models: string[];
}

/** Requests and cost stacked by model, tokens in/out, and request-weighted average latency, per bucket. */
export function UsageCharts({ series, models }: UsageChartsProps) {
  const total = (key: keyof BucketPoint) => series.reduce((sum, p) => sum + ((p[key] as number) ?? 0), 0);
  const latencies = series.filter((p) => p.avg_latency_ms !== null);
  const requests = total('requests');
  const avgLatency = requests > 0 ? latencies.reduce((s, p) => s + (p.avg_latency_ms as number) * p.requests, 0) / requests : null;
  const axis = { tickLine: false, axisLine: false, fontSize: 11 } as const;
  const colour = (i: number) => PALETTE[i % PALETTE.length];

  return (
    <div className="charts" data-testid="usage-charts">
      <ChartCard title="Requests" summary={`${requests.toLocaleString('en-US')} total · ${total('errors').toLocaleString('en-US')} errors`}>
        <BarChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} />
          <XAxis dataKey="label" {...axis} minTickGap={16} />
          <YAxis {...axis} allowDecimals={false} width={36} />
          <Tooltip contentStyle={TOOLTIP_STYLE} cursor={{ fillOpacity: 0.08 }} />
          <Legend iconSize={8} wrapperStyle={{ fontSize: 11 }} />
          {models.map((m, i) => (
            <Bar key={m} dataKey={`requests:${m}`} name={m} stackId="r" fill={colour(i)} isAnimationActive={false} />
          ))}
        </BarChart>
      </ChartCard>
      <ChartCard title="Tokens" summary={`${formatCompact(total('prompt_tokens'))} in · ${formatCompact(total('completion_tokens'))} out`}>
        <BarChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} />
          <XAxis dataKey="label" {...axis} minTickGap={16} />
          <YAxis {...axis} tickFormatter={(v: number) => formatCompact(v)} width={40} />
          <Tooltip contentStyle={TOOLTIP_STYLE} cursor={{ fillOpacity: 0.08 }} formatter={(v) => Number(v).toLocaleString('en-US')} />
          <Legend iconSize={8} wrapperStyle={{ fontSize: 11 }} />
          <Bar dataKey="prompt_tokens" name="prompt" stackId="t" fill={PALETTE[0]} isAnimationActive={false} />
          <Bar dataKey="completion_tokens" name="completion" stackId="t" fill={PALETTE[2]} isAnimationActive={false} />
        </BarChart>
      </ChartCard>
      <ChartCard title="Cost" summary={formatUsd(total('cost_micros'))}>
        <BarChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} />
          <XAxis dataKey="label" {...axis} minTickGap={16} />
          <YAxis {...axis} tickFormatter={(v: number) => formatUsdShort(v)} width={52} />
          <Tooltip contentStyle={TOOLTIP_STYLE} cursor={{ fillOpacity: 0.08 }} formatter={(v) => formatUsd(Number(v))} />
          <Legend iconSize={8} wrapperStyle={{ fontSize: 11 }} />
          {models.map((m, i) => (
            <Bar key={m} dataKey={`cost:${m}`} name={m} stackId="c" fill={colour(i)} isAnimationActive={false} />
          ))}
        </BarChart>
      </ChartCard>
      <ChartCard title="Average latency" summary={avgLatency === null ? 'no requests' : formatDuration(avgLatency)}>
        <LineChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} />
          <XAxis dataKey="label" {...axis} minTickGap={16} />
          <YAxis {...axis} tickFormatter={(v: number) => formatDuration(v)} width={56} />
          <Tooltip contentStyle={TOOLTIP_STYLE} formatter={(v) => formatDuration(Number(v))} />
          <Line type="monotone" dataKey="avg_latency_ms" name="avg latency" stroke={PALETTE[3]} strokeWidth={2} dot={{ r: 2 }} connectNulls isAnimationActive={false} />
        </LineChart>
      </ChartCard>
    </div>
  );
}
