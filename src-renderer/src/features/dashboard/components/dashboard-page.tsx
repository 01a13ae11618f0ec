import type { ReactNode } from 'react';
import { useRequest, type RequestState } from '../../../hooks/use-request';
import { ApiError } from '../../../lib/api-client';
import { getHealth } from '../api/get-health';
import { getOverview } from '../api/get-overview';

function describeError(error: Error): string {
  if (error instanceof ApiError && error.status === 404) return 'Not available from this gateway yet.';
  return error.message;
}

function formatValue(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

interface CardProps<T> {
  title: string;
  request: RequestState<T> & { reload: () => void };
  children: (data: T) => ReactNode;
}

/** One independently loaded panel: a failing request shows its error here without affecting the others. */
function Card<T>({ title, request, children }: CardProps<T>) {
  return (
    <section className="card" aria-busy={request.status === 'loading'}>
      <header className="card-header">
        <h2>{title}</h2>
        <button type="button" className="link-button" onClick={request.reload}>
          Refresh
        </button>
      </header>
      {request.status === 'loading' && <p className="muted">Loading…</p>}
      {request.status === 'error' && (
        <p className="error" role="alert">
          {describeError(request.error)}
        </p>
      )}
      {request.status === 'success' && children(request.data)}
    </section>
  );
}

function Fields({ data }: { data: Record<string, unknown> }) {
  const entries = Object.entries(data);
  if (entries.length === 0) return <p className="muted">Nothing to show.</p>;
  return (
    <dl className="fields">
      {entries.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{formatValue(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function DashboardPage() {
  const health = useRequest(getHealth);
  const overview = useRequest(getOverview);
  return (
    <section className="page">
      <h1>Dashboard</h1>
      <div className="cards">
        <Card title="Gateway" request={health}>
          {(data) => (
            <>
              <p className={data.status === 'ok' ? 'status status-ok' : 'status'}>{data.status ?? 'unknown'}</p>
              <Fields data={data} />
            </>
          )}
        </Card>
        <Card title="Overview" request={overview}>
          {(data) => <Fields data={data} />}
        </Card>
      </div>
    </section>
  );
}
