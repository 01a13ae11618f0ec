import { CopyButton } from '../../../components/copy-button';
import type { RevealedKey } from '../stores/keys-ui-store';

/** The new key, shown this once with a copy button; "Done" drops it from memory. */
export function RevealedKeyPanel({ revealed, onDone }: { revealed: RevealedKey; onDone: () => void }) {
  return (
    <section className="panel reveal" aria-labelledby="revealed-title" data-testid="revealed-key">
      <h2 id="revealed-title">Key “{revealed.name}” created</h2>
      <p>
        Copy it now: <strong>this is the only time it is shown.</strong> The gateway keeps only a hash.
      </p>
      <div className="reveal-row">
        <code className="secret" data-testid="new-key-value">
          {revealed.key}
        </code>
        <CopyButton text={revealed.key} label="Copy key" className="button" />
      </div>
      <div className="button-row">
        <button type="button" className="button-secondary" onClick={onDone}>
          Done — I have copied it
        </button>
      </div>
    </section>
  );
}
