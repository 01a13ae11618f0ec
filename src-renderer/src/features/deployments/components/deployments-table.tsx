import { Badge } from '../../../components/badge';
import { Meter } from '../../../components/meter';
import { InlineError } from '../../../components/states';
import { useAction } from '../../../hooks/use-request';
import { describeCooldown } from '../../../lib/cooldown';
import { formatDuration, formatRelative } from '../../../lib/format';
import { testDeployment, updateDeployment } from '../api/deployments-api';
import type { DeploymentWithHealth } from '../hooks/use-deployments';
import { useDeploymentsUiStore } from '../stores/deployments-ui-store';

function StatusBadge({ row }: { row: DeploymentWithHealth }) {
  if (!row.enabled) return <Badge tone="neutral">Disabled</Badge>;
  if (row.live?.cooling_until) return <Badge tone="danger" title={describeCooldown(row.live) ?? undefined}>Cooling down</Badge>;
  if ((row.live?.consecutive_failures ?? 0) > 0) return <Badge tone="warn">Degraded</Badge>;
  return <Badge tone="ok">Enabled</Badge>;
}

function TestResult({ name }: { name: string }) {
  const test = useDeploymentsUiStore((s) => s.tests[name]);
  if (!test) return null;
  if (test.status === 'running') return <span className="small muted" role="status">Testing…</span>;
  if (test.status === 'failed') return <span className="small error" role="status">Test failed: {test.error}</span>;
  const { result } = test;
  return result.ok ? (
    <span className="small ok" role="status">
      Test OK · {formatDuration(result.latency_ms)}
    </span>
  ) : (
    <span className="small error" role="status">
      Test failed{result.status ? ` (${result.status})` : ''}: {result.error ?? 'no answer'}
    </span>
  );
}

function Row({ row, onChanged }: { row: DeploymentWithHealth; onChanged: () => void }) {
  const { openEditor, askRemove, setTest } = useDeploymentsUiStore();
  const toggle = useAction(async () => {
    await updateDeployment(row.name, { enabled: !row.enabled });
    onChanged();
  });
  const runTest = async () => {
    setTest(row.name, { status: 'running' });
    try {
      setTest(row.name, { status: 'done', result: await testDeployment(row.name), at: Date.now() });
    } catch (err) {
      setTest(row.name, { status: 'failed', error: err instanceof Error ? err.message : String(err) });
    }
    onChanged();
  };
  const live = row.live;
  return (
    <tr data-testid={`deployment-${row.name}`}>
      <td>
        <strong>{row.name}</strong>
        <div className="small muted">
          {row.provider}
          {row.region ? ` · ${row.region}` : ''}
        </div>
      </td>
      <td>
        {row.model}
        <div className="small muted">
          {row.deployment}
          {row.apiVersion ? ` · ${row.apiVersion}` : ''}
        </div>
        <div className="small muted truncate" title={row.endpoint}>
          {row.endpoint.replace(/^https?:\/\//, '')}
        </div>
      </td>
      <td>
        <StatusBadge row={row} />
        {row.fastMode && (
          <div>
            <Badge tone="info">Fast mode</Badge>
          </div>
        )}
      </td>
      <td className="meters-cell">
        {live ? (
          <>
            <Meter label="Req/min" value={live.requests_last_minute} limit={row.rpm} />
            <Meter label="Tok/min" value={live.tokens_last_minute} limit={row.tpm} />
            <Meter label="Tok/hour" value={live.tokens_last_hour} limit={row.hourlyTokens} />
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="small">
        <div>
          weight {row.weight} · priority {row.priority}
        </div>
        <div className="muted">p50 {formatDuration(live?.p50_latency_ms)}</div>
        <div className="muted">{live?.in_flight ?? 0} in flight</div>
      </td>
      <td className="small">
        <code title="Only the last characters of the secret are ever shown">{row.secret ?? '••••'}</code>
      </td>
      <td className="small last-error">
        {live?.last_error ? (
          <>
            <span className="error">{live.last_error}</span>
            <div className="muted">{formatRelative(live.last_error_at)}</div>
          </>
        ) : (
          <span className="muted">None</span>
        )}
      </td>
      <td>
        <div className="row-actions">
          <button type="button" className="button-secondary button-small" onClick={() => void runTest()}>
            Test
          </button>
          <button type="button" className="button-secondary button-small" onClick={() => void toggle.run()} disabled={toggle.pending} aria-label={`${row.enabled ? 'Disable' : 'Enable'} ${row.name}`}>
            {row.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" className="button-secondary button-small" onClick={() => openEditor({ mode: 'edit', name: row.name })} aria-label={`Edit ${row.name}`}>
            Edit
          </button>
          <button type="button" className="button-ghost button-small danger-text" onClick={() => askRemove(row.name)} aria-label={`Remove ${row.name}`}>
            Remove
          </button>
        </div>
        <TestResult name={row.name} />
        <InlineError message={toggle.error} />
      </td>
    </tr>
  );
}

export function DeploymentsTable({ rows, onChanged }: { rows: DeploymentWithHealth[]; onChanged: () => void }) {
  return (
    <div className="table-wrap">
      <table className="table deployments-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Model · upstream</th>
            <th scope="col">Status</th>
            <th scope="col">Live windows</th>
            <th scope="col">Routing</th>
            <th scope="col">Secret</th>
            <th scope="col">Last error</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <Row key={row.id} row={row} onChanged={onChanged} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
