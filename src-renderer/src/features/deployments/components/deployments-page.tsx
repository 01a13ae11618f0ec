import { useCallback, useEffect } from 'react';
import { ConfirmDialog, Dialog } from '../../../components/dialog';
import { PageHeader } from '../../../components/page-header';
import { EmptyState, RequestView } from '../../../components/states';
import { useAction, useRequest } from '../../../hooks/use-request';
import { useHashSubpath } from '../../../hooks/use-hash-route';
import { listModelIds, removeDeployment } from '../api/deployments-api';
import { useDeployments } from '../hooks/use-deployments';
import { useDeploymentsUiStore } from '../stores/deployments-ui-store';
import { DeploymentForm } from './deployment-form';
import { DeploymentsTable } from './deployments-table';

/** Upstream deployments: add, edit, test, enable/disable, remove; live window usage and health. */
export function DeploymentsPage() {
  const { deployments, health, rows } = useDeployments();
  const models = useRequest(useCallback((signal: AbortSignal) => listModelIds(signal), []));
  const { editor, openEditor, removing, askRemove, notice, setNotice } = useDeploymentsUiStore();
  const subpath = useHashSubpath();

  // Dialogs do not outlive the page: coming back later starts from the list.
  useEffect(() => () => {
    const ui = useDeploymentsUiStore.getState();
    ui.openEditor(null);
    ui.askRemove(null);
  }, []);

  // `#/deployments/new` (from the first-run guide) opens the add form.
  useEffect(() => {
    if (subpath[0] === 'new') openEditor({ mode: 'add' });
  }, [subpath, openEditor]);

  const closeEditor = () => {
    openEditor(null);
    if (subpath.length > 0) window.location.hash = '#/deployments';
  };

  const remove = useAction(async (name: string) => {
    await removeDeployment(name);
    askRemove(null);
    setNotice(`Removed ${name}.`);
    deployments.reload();
  });

  const editing = editor?.mode === 'edit' ? rows?.find((d) => d.name === editor.name) : undefined;
  const reloadAll = () => {
    deployments.reload();
    health.reload();
  };

  return (
    <section className="page">
      <PageHeader
        title="Deployments"
        description="Upstream endpoints the router spreads requests over, with their limits and live health."
        refreshing={health.refreshing}
        actions={
          <button type="button" onClick={() => openEditor({ mode: 'add' })}>
            Add deployment
          </button>
        }
      />
      {notice && (
        <p className="notice" role="status">
          {notice}{' '}
          <button type="button" className="link-button" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      )}
      <RequestView request={deployments} loadingLabel="Loading deployments…">
        {() =>
          rows && rows.length > 0 ? (
            <DeploymentsTable rows={rows} onChanged={reloadAll} />
          ) : (
            <EmptyState
              title="No deployments yet"
              action={
                <button type="button" onClick={() => openEditor({ mode: 'add' })}>
                  Add your first deployment
                </button>
              }
            >
              A deployment is an upstream endpoint (an Azure OpenAI deployment, an OpenAI or Anthropic key…) that serves a
              model. Add several for one model to spread load and fail over.
            </EmptyState>
          )
        }
      </RequestView>

      <Dialog open={editor !== null} title={editor?.mode === 'edit' ? `Edit ${editor.name}` : 'Add deployment'} onClose={closeEditor} wide>
        {editor && (editor.mode === 'add' || editing) && (
          <DeploymentForm
            key={editor.mode === 'edit' ? editor.name : 'add'}
            existing={editing}
            modelIds={models.status === 'success' ? models.data : []}
            onCancel={closeEditor}
            onSaved={(name, note) => {
              setNotice(note ?? `${editor.mode === 'add' ? 'Added' : 'Saved'} ${name}.`);
              closeEditor();
              reloadAll();
            }}
          />
        )}
      </Dialog>

      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing ?? ''}?`}
        message={
          <p>
            The router stops using <strong>{removing}</strong> at once and its secret is deleted from the vault. Past usage
            keeps its records.
          </p>
        }
        confirmLabel="Remove deployment"
        danger
        pending={remove.pending}
        error={remove.error}
        onConfirm={() => removing && void remove.run(removing)}
        onClose={() => {
          remove.clearError();
          askRemove(null);
        }}
      />
    </section>
  );
}
