import { useCallback, useEffect } from 'react';
import { Badge } from '../../../components/badge';
import { ConfirmDialog, Dialog } from '../../../components/dialog';
import { PageHeader } from '../../../components/page-header';
import { EmptyState, RequestView } from '../../../components/states';
import { useHashSubpath } from '../../../hooks/use-hash-route';
import { useAction, useRequest } from '../../../hooks/use-request';
import { formatCount, formatDateTime, formatRelative } from '../../../lib/format';
import type { Account, ClientKey } from '../../../types/gateway';
import { listAccounts, listKeys, listModelIds, revokeKey } from '../api/keys-api';
import { useKeysUiStore } from '../stores/keys-ui-store';
import { KeyForm } from './key-form';
import { RevealedKeyPanel } from './revealed-key';

function KeysTable({ keys, accounts }: { keys: ClientKey[]; accounts: Account[] }) {
  const askRevoke = useKeysUiStore((s) => s.askRevoke);
  const accountName = (id: string) => accounts.find((a) => a.id === id)?.name ?? id;
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Account</th>
            <th scope="col">Limits</th>
            <th scope="col">Models</th>
            <th scope="col">Signature</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} className={k.revokedAt ? 'row-muted' : undefined} data-testid={`key-${k.name}`}>
              <td>
                <strong>{k.name}</strong>
              </td>
              <td>
                <code>{k.prefix}…</code>
              </td>
              <td>{accountName(k.accountId)}</td>
              <td className="small">
                {k.rpm ? `${formatCount(k.rpm)} rpm` : 'no rpm limit'}
                <br />
                {k.tpm ? `${formatCount(k.tpm)} tpm` : 'no tpm limit'}
              </td>
              <td className="small">{k.models?.length ? k.models.join(', ') : <span className="muted">all</span>}</td>
              <td>{k.requireSignature ? <Badge tone="info">required</Badge> : <span className="muted small">optional</span>}</td>
              <td className="small">{formatDateTime(k.createdAt)}</td>
              <td className="small">{k.lastUsedAt ? formatRelative(k.lastUsedAt) : <span className="muted">never</span>}</td>
              <td>{k.revokedAt ? <Badge tone="neutral">Revoked</Badge> : <Badge tone="ok">Active</Badge>}</td>
              <td>
                {!k.revokedAt && (
                  <button type="button" className="button-ghost button-small danger-text" onClick={() => askRevoke({ id: k.id, name: k.name })} aria-label={`Revoke ${k.name}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Client keys: create (shown once), list, revoke. */
export function KeysPage() {
  const keys = useRequest(listKeys, { pollMs: 10_000 });
  const accounts = useRequest(listAccounts);
  const models = useRequest(useCallback((signal: AbortSignal) => listModelIds(signal), []));
  const { creating, setCreating, revealed, reveal, forget, revoking, askRevoke, showRevoked, setShowRevoked } = useKeysUiStore();
  const subpath = useHashSubpath();

  useEffect(() => {
    if (subpath[0] === 'new') setCreating(true);
  }, [subpath, setCreating]);
  // A created key never outlives the page: leaving it forgets the key (and closes any dialog).
  useEffect(
    () => () => {
      const ui = useKeysUiStore.getState();
      ui.forget();
      ui.setCreating(false);
      ui.askRevoke(null);
    },
    [],
  );

  const closeCreate = () => {
    setCreating(false);
    if (subpath.length > 0) window.location.hash = '#/keys';
  };

  const revoke = useAction(async (id: string) => {
    await revokeKey(id);
    askRevoke(null);
    keys.reload();
  });

  return (
    <section className="page">
      <PageHeader
        title="Keys"
        description="Client keys your apps send as Authorization: Bearer omx_live_…; each belongs to an account and its wallet."
        actions={
          <button type="button" onClick={() => setCreating(true)}>
            Create key
          </button>
        }
      />
      {revealed && <RevealedKeyPanel revealed={revealed} onDone={forget} />}
      <div className="toolbar">
        <label className="check">
          <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} />
          Show revoked keys
        </label>
      </div>
      <RequestView request={keys} loadingLabel="Loading keys…">
        {(list) => {
          const shown = showRevoked ? list : list.filter((k) => !k.revokedAt);
          if (shown.length === 0) {
            return (
              <EmptyState
                title={list.length === 0 ? 'No keys yet' : 'No active keys'}
                action={
                  <button type="button" onClick={() => setCreating(true)}>
                    Create a key
                  </button>
                }
              >
                Apps call the gateway with a client key instead of your upstream secrets; each key can have its own limits.
              </EmptyState>
            );
          }
          return <KeysTable keys={shown} accounts={accounts.status === 'success' ? accounts.data : []} />;
        }}
      </RequestView>

      <Dialog open={creating} title="Create key" onClose={closeCreate} wide>
        {accounts.status === 'success' ? (
          <KeyForm
            accounts={accounts.data}
            models={models.status === 'success' ? models.data : []}
            onCancel={closeCreate}
            onCreated={(created) => {
              reveal({ id: created.id, name: created.name, key: created.key });
              if (subpath.length > 0) window.location.hash = '#/keys';
              keys.reload();
            }}
          />
        ) : (
          <RequestView request={accounts}>{() => null}</RequestView>
        )}
      </Dialog>

      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke ${revoking?.name ?? ''}?`}
        message={<p>Calls with this key fail with 401 from now on. This cannot be undone; create a new key instead.</p>}
        confirmLabel="Revoke key"
        danger
        pending={revoke.pending}
        error={revoke.error}
        onConfirm={() => revoking && void revoke.run(revoking.id)}
        onClose={() => {
          revoke.clearError();
          askRevoke(null);
        }}
      />
    </section>
  );
}
