import { useState, type FormEvent } from 'react';
import { Field } from '../../../components/field';
import { InlineError } from '../../../components/states';
import { useAction } from '../../../hooks/use-request';
import type { Account } from '../../../types/gateway';
import { createKey, type CreatedKey } from '../api/keys-api';

function limit(text: string): number | null | typeof Number.NaN {
  if (text.trim() === '') return null;
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}

interface KeyFormProps {
  accounts: Account[];
  models: { id: string; modality: string }[];
  onCreated: (key: CreatedKey) => void;
  onCancel: () => void;
}

/** Name, account, rate limits, allowed models and the signature requirement of a new client key. */
export function KeyForm({ accounts, models, onCreated, onCancel }: KeyFormProps) {
  const [name, setName] = useState('');
  const [account, setAccount] = useState(accounts.find((a) => a.name === 'default')?.id ?? accounts[0]?.id ?? '');
  const [rpm, setRpm] = useState('');
  const [tpm, setTpm] = useState('');
  const [restrict, setRestrict] = useState(false);
  const [allowed, setAllowed] = useState<string[]>([]);
  const [requireSignature, setRequireSignature] = useState(false);
  const [invalid, setInvalid] = useState<string | null>(null);
  const create = useAction(createKey);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const rpmValue = limit(rpm);
    const tpmValue = limit(tpm);
    if (Number.isNaN(rpmValue) || Number.isNaN(tpmValue)) return setInvalid('RPM and TPM must be whole numbers (blank = no limit).');
    if (restrict && allowed.length === 0) return setInvalid('Pick at least one model, or allow every model.');
    setInvalid(null);
    const created = await create.run({
      name: name.trim(),
      account: account || undefined,
      rpm: rpmValue,
      tpm: tpmValue,
      models: restrict ? allowed : null,
      require_signature: requireSignature,
    });
    if (created) onCreated(created);
  };

  const toggleModel = (id: string, on: boolean) => setAllowed((list) => (on ? [...list, id] : list.filter((m) => m !== id)));

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="Create key">
      <div className="form-grid">
        <Field label="Name" hint="Who or what uses it, e.g. billing-service">
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoComplete="off" />
        </Field>
        <Field label="Account" hint="Its wallet pays for the calls">
          <select value={account} onChange={(e) => setAccount(e.target.value)}>
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Requests per minute" hint="Blank = no limit">
          <input value={rpm} onChange={(e) => setRpm(e.target.value)} inputMode="numeric" />
        </Field>
        <Field label="Tokens per minute" hint="Blank = no limit">
          <input value={tpm} onChange={(e) => setTpm(e.target.value)} inputMode="numeric" />
        </Field>
      </div>
      <fieldset className="fieldset">
        <legend>Allowed models</legend>
        <label className="check">
          <input type="radio" name="restrict" checked={!restrict} onChange={() => setRestrict(false)} /> Every model
        </label>
        <label className="check">
          <input type="radio" name="restrict" checked={restrict} onChange={() => setRestrict(true)} /> Only these:
        </label>
        {restrict && (
          <div className="check-list" role="group" aria-label="Models this key may use">
            {models.map((m) => (
              <label key={m.id} className="check">
                <input type="checkbox" checked={allowed.includes(m.id)} onChange={(e) => toggleModel(m.id, e.target.checked)} />
                {m.id} <span className="muted small">{m.modality}</span>
              </label>
            ))}
          </div>
        )}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={requireSignature} onChange={(e) => setRequireSignature(e.target.checked)} />
        Require an HMAC signature on every call (<code>X-Omixa-Signature</code>)
      </label>
      <InlineError message={invalid ?? create.error} />
      <div className="button-row">
        <button type="submit" disabled={create.pending || !name.trim()}>
          {create.pending ? 'Creating…' : 'Create key'}
        </button>
        <button type="button" className="button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
