import { useEffect, useRef, type ReactNode } from 'react';
import { Badge } from '../../../components/badge';
import { PageHeader } from '../../../components/page-header';
import { RequestView } from '../../../components/states';
import { useRequest } from '../../../hooks/use-request';
import { formatCount, formatUsd } from '../../../lib/format';
import { getHealth } from '../api/get-health';
import { getOverview, type Overview } from '../api/get-overview';
import { useLiveFeed } from '../hooks/use-live-feed';
import { useLiveFeedStore } from '../stores/live-feed-store';
import { HealthTable } from './health-table';
import { LiveJobs } from './live-jobs';
import { LiveRequests } from './live-requests';

function Stat({ label, value, detail, testId }: { label: string; value: ReactNode; detail?: ReactNode; testId?: string }) {
  return (
    <div className="stat" data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value num">{value}</div>
      {detail && <div className="stat-detail muted">{detail}</div>}
    </div>
  );
}

function Stats({ overview }: { overview: Overview }) {
  const { today, deployments } = overview;
  const errorRate = today.requests > 0 ? `${((today.errors / today.requests) * 100).toFixed(1)}% of requests` : 'no requests yet';
  return (
    <div className="stats">
      <Stat label="Spend today" value={formatUsd(today.cost_micros)} detail="UTC day, all accounts" testId="spend-today" />
      <Stat label="Requests today" value={formatCount(today.requests)} testId="requests-today" />
      <Stat label="Errors today" value={formatCount(today.errors)} detail={errorRate} />
      <Stat label="Tokens today" value={formatCount(today.prompt_tokens + today.completion_tokens)} detail={`${formatCount(today.prompt_tokens)} in · ${formatCount(today.completion_tokens)} out`} />
      <Stat label="Deployments" value={`${deployments.enabled} / ${deployments.total}`} detail="enabled / total" />
      <Stat label="Accounts" value={formatCount(overview.accounts)} detail={`secrets: ${overview.secret_backend}`} />
    </div>
  );
}

const CONNECTION_LABEL = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' } as const;

/** Spend and traffic today, deployment health at a glance and the live request feed. */
export function DashboardPage({ intro }: { intro?: ReactNode }) {
  useLiveFeed();
  const connection = useLiveFeedStore((store) => store.connection);
  const version = useLiveFeedStore((store) => store.version);
  const overview = useRequest(getOverview, { pollMs: 15_000 });
  const health = useRequest(getHealth, { pollMs: 3_000 });

  // A finished request changes today's totals: refresh them, at most once a second.
  const reloadOverview = overview.reload;
  const lastVersion = useRef(version);
  useEffect(() => {
    if (version === lastVersion.current) return;
    lastVersion.current = version;
    const timer = window.setTimeout(reloadOverview, 300);
    return () => window.clearTimeout(timer);
  }, [version, reloadOverview]);

  return (
    <section className="page">
      <PageHeader
        title="Dashboard"
        description={overview.status === 'success' ? `Gateway ${overview.data.version}` : 'Your gateway at a glance'}
        actions={
          <Badge tone={connection === 'live' ? 'ok' : 'warn'} title="Live request feed">
            {CONNECTION_LABEL[connection]}
          </Badge>
        }
      />
      {intro}
      <RequestView request={overview}>{(data) => <Stats overview={data} />}</RequestView>
      <div className="grid-2">
        <section className="panel" aria-labelledby="health-title">
          <header className="panel-header">
            <h2 id="health-title">Deployment health</h2>
            <a href="#/deployments" className="muted">
              Manage
            </a>
          </header>
          <RequestView request={health}>{(rows) => <HealthTable rows={rows} />}</RequestView>
        </section>
        <section className="panel" aria-labelledby="live-title">
          <header className="panel-header">
            <h2 id="live-title">Live requests</h2>
            <a href="#/usage" className="muted">
              All usage
            </a>
          </header>
          <LiveRequests />
        </section>
      </div>
      <LiveJobs />
    </section>
  );
}
