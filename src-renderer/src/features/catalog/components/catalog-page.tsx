import { useEffect, useMemo } from 'react';
import { Badge } from '../../../components/badge';
import { Dialog } from '../../../components/dialog';
import { PageHeader } from '../../../components/page-header';
import { EmptyState, RequestView } from '../../../components/states';
import { useRequest } from '../../../hooks/use-request';
import { formatCompact } from '../../../lib/format';
import { listCatalog, type CatalogModel } from '../api/catalog-api';
import { useCatalogUiStore } from '../stores/catalog-ui-store';
import { fieldsFor, formatPrice, PRICE_FIELDS } from '../utils/price-fields';
import { PriceForm } from './price-form';

function Prices({ model }: { model: CatalogModel }) {
  const fields = fieldsFor(model.modality).filter((f) => model.pricing[f] !== undefined);
  const extra = PRICE_FIELDS.filter(({ field }) => !fields.includes(field) && model.pricing[field] !== undefined).map((p) => p.field);
  const all = [...fields, ...extra];
  if (all.length === 0) return <Badge tone="warn">Unpriced</Badge>;
  return (
    <dl className="prices">
      {all.map((field) => {
        const meta = PRICE_FIELDS.find((p) => p.field === field)!;
        return (
          <div key={field}>
            <dt>{meta.label}</dt>
            <dd className="num">
              {formatPrice(model.pricing[field])} <span className="muted">{meta.unit}</span>
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

function Table({ models }: { models: CatalogModel[] }) {
  const edit = useCatalogUiStore((s) => s.edit);
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Modality</th>
            <th scope="col">Provider</th>
            <th scope="col">Prices (USD)</th>
            <th scope="col" className="num">
              Context
            </th>
            <th scope="col" className="num">
              Max output
            </th>
            <th scope="col">Deployments</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => {
            const enabled = m.deployments.filter((d) => d.enabled);
            return (
              <tr key={m.id} data-testid={`model-${m.id}`}>
                <td>
                  <strong>{m.id}</strong>
                </td>
                <td>
                  <Badge tone="info">{m.modality}</Badge>
                </td>
                <td>{m.providers.join(', ')}</td>
                <td>
                  <Prices model={m} />
                </td>
                <td className="num">{m.context_window ? formatCompact(m.context_window) : '—'}</td>
                <td className="num">{m.max_output_tokens ? formatCompact(m.max_output_tokens) : '—'}</td>
                <td>
                  {m.deployments.length === 0 ? (
                    <span className="muted">None</span>
                  ) : (
                    <span title={m.deployments.map((d) => d.name).join(', ')}>
                      {enabled.length} enabled{m.deployments.length > enabled.length ? ` · ${m.deployments.length - enabled.length} off` : ''}
                    </span>
                  )}
                </td>
                <td>
                  <button type="button" className="button-secondary button-small" onClick={() => edit(m.id)} aria-label={`Edit prices of ${m.id}`}>
                    Edit prices
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Every model the gateway knows: modality, provider, prices (editable) and which deployments serve it. */
export function CatalogPage() {
  const catalog = useRequest(listCatalog, { pollMs: 30_000 });
  const { search, modality, servedOnly, editing, notice, setSearch, setModality, setServedOnly, edit, setNotice } = useCatalogUiStore();
  const modalities = useMemo(() => (catalog.status === 'success' ? [...new Set(catalog.data.map((m) => m.modality))].sort() : []), [catalog]);
  useEffect(() => () => useCatalogUiStore.getState().edit(null), []);
  const editingModel = catalog.status === 'success' ? catalog.data.find((m) => m.id === editing) : undefined;

  return (
    <section className="page">
      <PageHeader title="Catalog" description="Models, their modalities and prices. Only models with an enabled deployment are offered to clients." />
      {notice && (
        <p className="notice" role="status">
          {notice}{' '}
          <button type="button" className="link-button" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      )}
      <div className="toolbar" role="search">
        <label className="visually-hidden" htmlFor="catalog-search">
          Search models
        </label>
        <input id="catalog-search" type="search" placeholder="Search models…" value={search} onChange={(e) => setSearch(e.target.value)} />
        <label className="inline-label">
          Modality
          <select value={modality} onChange={(e) => setModality(e.target.value)}>
            <option value="">All</option>
            {modalities.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={servedOnly} onChange={(e) => setServedOnly(e.target.checked)} />
          With a deployment only
        </label>
      </div>
      <RequestView request={catalog} loadingLabel="Loading the catalog…">
        {(models) => {
          const needle = search.trim().toLowerCase();
          const shown = models.filter(
            (m) => (!needle || m.id.toLowerCase().includes(needle)) && (!modality || m.modality === modality) && (!servedOnly || m.deployments.some((d) => d.enabled)),
          );
          if (models.length === 0) return <EmptyState title="The catalog is empty">The gateway ships a catalog in resources/catalog.json; models also appear when you add a deployment.</EmptyState>;
          if (shown.length === 0) return <EmptyState title="No model matches these filters" />;
          return <Table models={shown} />;
        }}
      </RequestView>
      <Dialog open={editingModel !== undefined} title={`Prices of ${editing ?? ''}`} onClose={() => edit(null)}>
        {editingModel && (
          <PriceForm
            model={editingModel}
            onCancel={() => edit(null)}
            onSaved={() => {
              setNotice(`Saved the prices of ${editingModel.id}.`);
              edit(null);
              catalog.reload();
            }}
          />
        )}
      </Dialog>
    </section>
  );
}
