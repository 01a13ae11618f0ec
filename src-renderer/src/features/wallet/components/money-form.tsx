import { useState, type FormEvent } from 'react';
import { Field } from '../../../components/field';
import { InlineError } from '../../../components/states';
import { useAction } from '../../../hooks/use-request';
import { formatUsd, usdToMicros } from '../../../lib/format';

interface MoneyFormProps {
  title: string;
  submitLabel: string;
  /** Adjustments may be negative; top-ups may not. */
  allowNegative?: boolean;
  noteRequired?: boolean;
  hint: string;
  onSubmit: (amountMicros: number, note: string) => Promise<unknown>;
}

/** A USD amount (converted to integer micros without floating point) and a note. */
export function MoneyForm({ title, submitLabel, allowNegative, noteRequired, hint, onSubmit }: MoneyFormProps) {
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const action = useAction(async (micros: number, text: string) => {
    await onSubmit(micros, text);
    return true;
  });
  const micros = usdToMicros(amount, { allowNegative });

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setDone(null);
    if (micros === undefined || micros === 0) {
      return setInvalid(allowNegative ? 'Enter a non-zero USD amount like 25 or -1.50 (at most 6 decimals).' : 'Enter a positive USD amount like 25 or 0.50 (at most 6 decimals).');
    }
    if (noteRequired && !note.trim()) return setInvalid('Say why in the note; it is kept in the ledger.');
    setInvalid(null);
    if (await action.run(micros, note.trim())) {
      setDone(`${submitLabel}: ${formatUsd(micros)}`);
      setAmount('');
      setNote('');
    }
  };

  return (
    <form className="form panel compact" onSubmit={(e) => void submit(e)} aria-label={title}>
      <h3>{title}</h3>
      <div className="form-grid">
        <Field label="Amount (USD)" hint={micros !== undefined && micros !== 0 ? `= ${micros.toLocaleString('en-US')} micro-USD` : hint}>
          <input value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" placeholder={allowNegative ? '-1.50' : '25.00'} autoComplete="off" />
        </Field>
        <Field label={noteRequired ? 'Note' : 'Note (optional)'}>
          <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} autoComplete="off" />
        </Field>
      </div>
      <InlineError message={invalid ?? action.error} />
      {done && (
        <p className="small ok" role="status">
          {done}
        </p>
      )}
      <div className="button-row">
        <button type="submit" disabled={action.pending || !amount.trim()}>
          {action.pending ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
