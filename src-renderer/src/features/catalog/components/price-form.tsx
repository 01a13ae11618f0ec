import { useState, type FormEvent } from 'react';
import { Field } from '../../../components/field';
import { InlineError } from '../../../components/states';
import { useAction } from '../../../hooks/use-request';
import type { PriceField } from '../../../types/gateway';
import { setModelPrice, type CatalogModel, type PricePatch } from '../api/catalog-api';
import { fieldsFor, PRICE_FIELDS } from '../utils/price-fields';

const AMOUNT = /^\d*\.?\d{0,6}$/;

/** Edits a model's prices in USD; blank clears a price, unchanged fields are not sent. */
export function PriceForm({ model, onSaved, onCancel }: { model: CatalogModel; onSaved: () => void; onCancel: () => void }) {
  const initial = Object.fromEntries(PRICE_FIELDS.map(({ field }) => [field, model.pricing[field] === undefined ? '' : String(model.pricing[field])])) as Record<PriceField, string>;
  const [values, setValues] = useState(initial);
  const [showAll, setShowAll] = useState(false);
  const [invalid, setInvalid] = useState<string | null>(null);
  const relevant = fieldsFor(model.modality);
  const shown = PRICE_FIELDS.filter(({ field }) => showAll || relevant.includes(field) || initial[field] !== '');
  const save = useAction((patch: PricePatch) => setModelPrice(model.id, patch));

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const patch: PricePatch = {};
    for (const { field, label } of PRICE_FIELDS) {
      const value = values[field].trim().replace(/^\$/, '');
      if (value === initial[field]) continue;
      if (value !== '' && (!AMOUNT.test(value) || value === '.')) return setInvalid(`${label}: enter a USD amount like 0.15 (at most 6 decimals).`);
      patch[field] = value === '' ? null : value;
    }
    setInvalid(null);
    if (Object.keys(patch).length === 0) return onCancel();
    if (await save.run(patch)) onSaved();
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)}>
      <p className="muted small">
        Prices in USD. New requests are billed at the new price; past requests keep the cost they were billed.
      </p>
      <div className="form-grid">
        {shown.map(({ field, label, unit }) => (
          <Field key={field} label={`${label} (${unit.replace('/ ', 'per ')})`}>
            <input
              value={values[field]}
              onChange={(e) => setValues((v) => ({ ...v, [field]: e.target.value }))}
              inputMode="decimal"
              placeholder="not priced"
              autoComplete="off"
            />
          </Field>
        ))}
      </div>
      {!showAll && shown.length < PRICE_FIELDS.length && (
        <button type="button" className="link-button" onClick={() => setShowAll(true)}>
          Show every price field
        </button>
      )}
      <InlineError message={invalid ?? save.error} />
      <div className="button-row">
        <button type="submit" disabled={save.pending}>
          {save.pending ? 'Saving…' : 'Save prices'}
        </button>
        <button type="button" className="button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
