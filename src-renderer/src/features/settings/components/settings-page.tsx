import type { ReactNode } from 'react';
import { useEffect, useState } from 'react';
import { CodeBlock } from '../../../components/code-block';
import { ConfirmDialog } from '../../../components/dialog';
import { PageHeader } from '../../../components/page-header';
import { InlineError, RequestView } from '../../../components/states';
import { useAction, useRequest } from '../../../hooks/use-request';
import { formatBytes } from '../../../lib/format';
import type { ThemePreference } from '../../../lib/theme';
import { useSessionStore } from '../../../stores/session-store';
import { useThemeStore } from '../../../stores/theme-store';
import type { GatewaySettings } from '../../../types/gateway';
import { getSettings, rotateAdminToken, runDoctor, updateSettings, type DoctorReport } from '../api/settings-api';

function ReadOnly({ rows }: { rows: [string, ReactNode, string?][] }) {
  return (
    <dl className="record">
      {rows.map(([label, value, env]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>
            {value}
            {env && <span className="muted small"> · {env}</span>}
          </dd>
        </div>
      ))}
    </dl>
  );
}

type Switches = { require_signature?: boolean; self_top_up?: boolean };

function Toggles({ settings, onSaved }: { settings: GatewaySettings; onSaved: () => void }) {
  // The switch moves at once; a refused change moves it back.
  const [optimistic, setOptimistic] = useState<Switches>({});
  const save = useAction(async (patch: Switches) => {
    setOptimistic((o) => ({ ...o, ...patch }));
    try {
      await updateSettings(patch);
    } catch (err) {
      setOptimistic((o) => {
        const next = { ...o };
        for (const key of Object.keys(patch) as (keyof Switches)[]) delete next[key];
        return next;
      });
      throw err;
    }
    onSaved();
    return true;
  });
  const value = (key: keyof Switches) => optimistic[key] ?? settings[key];
  // Once the server's settings agree, they are the truth again (another admin may change them later).
  useEffect(() => {
    setOptimistic((o) => {
      const keys = (Object.keys(o) as (keyof Switches)[]).filter((k) => o[k] !== settings[k]);
      return keys.length === Object.keys(o).length ? o : Object.fromEntries(keys.map((k) => [k, o[k]]));
    });
  }, [settings]);
  return (
    <>
      <label className="switch">
        <input type="checkbox" role="switch" checked={value('require_signature')} onChange={(e) => void save.run({ require_signature: e.target.checked })} />
        <span>
          <strong>Require HMAC signatures</strong>
          <span className="muted small block">
            Every client call must carry <code>X-Omixa-Timestamp</code> and <code>X-Omixa-Signature</code>. (Also forced on by <code>OMIXA_REQUIRE_SIGNATURE</code>.)
          </span>
        </span>
      </label>
      <label className="switch">
        <input type="checkbox" role="switch" checked={value('self_top_up')} onChange={(e) => void save.run({ self_top_up: e.target.checked })} />
        <span>
          <strong>Allow self top-up</strong>
          <span className="muted small block">
            Client keys may credit their own wallet with <code>POST /v1/wallet/top-up</code> (demos and trials only).
          </span>
        </span>
      </label>
      <InlineError message={save.error} />
    </>
  );
}

function Appearance() {
  const preference = useThemeStore((s) => s.preference);
  const setPreference = useThemeStore((s) => s.setPreference);
  return (
    <fieldset className="fieldset">
      <legend>Theme</legend>
      {(['system', 'light', 'dark'] as ThemePreference[]).map((p) => (
        <label key={p} className="check">
          <input type="radio" name="theme" checked={preference === p} onChange={() => setPreference(p)} />
          {p === 'system' ? 'Follow the system' : p === 'light' ? 'Light' : 'Dark'}
        </label>
      ))}
    </fieldset>
  );
}

function Doctor() {
  const [report, setReport] = useState<DoctorReport | null>(null);
  const check = useAction(async () => {
    setReport(await runDoctor());
    return true;
  });
  return (
    <div className="stack">
      <div className="button-row">
        <button type="button" className="button-secondary" onClick={() => void check.run()} disabled={check.pending}>
          {check.pending ? 'Checking…' : 'Check the database and the ledger'}
        </button>
      </div>
      <InlineError message={check.error} />
      {report && (
        <p role="status" className={report.ledger_ok && report.integrity === 'ok' ? 'ok' : 'error'}>
          Ledger invariants: {report.ledger_ok ? 'hold' : `violated (${Object.keys(report.violations).length} accounts)`} · SQLite integrity: {report.integrity}
        </p>
      )}
    </div>
  );
}

function AdminToken() {
  const [confirming, setConfirming] = useState(false);
  const tokenRotated = useSessionStore((s) => s.tokenRotated);
  const mode = useSessionStore((s) => (s.session.status === 'signed-in' ? s.session.mode : 'browser'));
  const [desktopToken, setDesktopToken] = useState<string | null>(null);
  const rotate = useAction(async () => {
    const token = await rotateAdminToken();
    setConfirming(false);
    if (mode === 'desktop') setDesktopToken(token);
    await tokenRotated(token);
    return true;
  });
  return (
    <div className="stack">
      <p className="muted">
        Rotating issues a new admin token and invalidates the old one at once: web consoles and scripts using it must sign in again.
      </p>
      <div className="button-row">
        <button type="button" className="button-danger" onClick={() => setConfirming(true)}>
          Rotate admin token
        </button>
      </div>
      {desktopToken && <CodeBlock code={desktopToken} label="New admin token (shown once)" />}
      <ConfirmDialog
        open={confirming}
        title="Rotate the admin token?"
        message={<p>The current token stops working immediately. {mode === 'browser' ? 'This console will ask you to sign in with the new token, which is shown once.' : 'The app switches to the new token by itself.'}</p>}
        confirmLabel="Rotate now"
        danger
        pending={rotate.pending}
        error={rotate.error}
        onConfirm={() => void rotate.run()}
        onClose={() => setConfirming(false)}
      />
    </div>
  );
}

/** Server facts (read-only), the signature and self top-up switches, streaming knobs, backup, the admin token. */
export function SettingsPage() {
  const settings = useRequest(getSettings);
  return (
    <section className="page">
      <PageHeader title="Settings" description="Host, port, data directory and secret backend are set by environment or flags when the gateway starts." />
      <RequestView request={settings} loadingLabel="Loading settings…">
        {(s) => (
          <div className="settings-grid">
            <section className="panel" aria-labelledby="server-title">
              <h2 id="server-title">Server</h2>
              <ReadOnly
                rows={[
                  ['Host', <code key="h">{s.host}</code>, 'OMIXA_HOST'],
                  ['Port', <code key="p">{s.port}</code>, 'OMIXA_PORT / --port'],
                  ['Data directory', <code key="d">{s.data_dir}</code>, 'OMIXA_DATA_DIR / --data-dir'],
                  ['Secret backend', <code key="s">{s.secret_backend}</code>, 'OMIXA_SECRET_BACKEND'],
                  ['OpenAI base URL', <code key="u">{`http://${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}/v1`}</code>],
                ]}
              />
            </section>
            <section className="panel" aria-labelledby="security-title">
              <h2 id="security-title">Client access</h2>
              <Toggles settings={s} onSaved={settings.reload} />
            </section>
            <section className="panel" aria-labelledby="streaming-title">
              <h2 id="streaming-title">Streaming</h2>
              <ReadOnly
                rows={[
                  ['Chunk size', `${formatBytes(s.stream_chunk_bytes)} max held before a flush`, 'AZURE_STREAM_CHUNK_BYTES'],
                  ['Heartbeat', `every ${s.stream_heartbeat_seconds} s of upstream silence`, 'AZURE_STREAM_HEARTBEAT_SECONDS'],
                  ['Flush padding', s.stream_flush_padding_bytes ? `${formatBytes(s.stream_flush_padding_bytes)} comment first` : 'off', 'AZURE_STREAM_FLUSH_PADDING_BYTES'],
                ]}
              />
              <p className="muted small">Set by environment at start; restart the gateway to change them.</p>
            </section>
            <section className="panel" aria-labelledby="appearance-title">
              <h2 id="appearance-title">Appearance</h2>
              <Appearance />
            </section>
            <section className="panel" aria-labelledby="backup-title">
              <h2 id="backup-title">Backup and checks</h2>
              <p className="muted">A consistent copy of the database (wallets, ledger, usage, keys), safe while the gateway runs:</p>
              <CodeBlock code="npx omixa backup FILE" label="Terminal" />
              <Doctor />
            </section>
            <section className="panel" aria-labelledby="token-title">
              <h2 id="token-title">Admin token</h2>
              <AdminToken />
            </section>
          </div>
        )}
      </RequestView>
    </section>
  );
}
