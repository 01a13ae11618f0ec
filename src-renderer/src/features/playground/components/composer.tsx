import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { InlineError } from '../../../components/states';
import { usePlaygroundStore } from '../stores/playground-store';

interface ComposerProps {
  busy: boolean;
  onSend: () => Promise<string | null>;
  onStop: () => void;
}

/** The message box: Send (or Ctrl/⌘+Enter), Stop while an answer streams, Clear. */
export function Composer({ busy, onSend, onStop }: ComposerProps) {
  const draft = usePlaygroundStore((s) => s.draft);
  const setDraft = usePlaygroundStore((s) => s.setDraft);
  const clear = usePlaygroundStore((s) => s.clear);
  const hasTurns = usePlaygroundStore((s) => s.turns.length > 0);
  const [error, setError] = useState<string | null>(null);

  const send = async () => setError(await onSend());
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void send();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!busy) void send();
    }
  };

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor="playground-message" className="visually-hidden">
        Message
      </label>
      <textarea id="playground-message" rows={3} value={draft} onChange={(e) => setDraft(e.target.value)} onKeyDown={onKeyDown} placeholder="Write a message… (Ctrl+Enter to send)" />
      <InlineError message={error} />
      <div className="button-row">
        {busy ? (
          <button type="button" className="button-danger" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button type="submit" disabled={!draft.trim()}>
            Send
          </button>
        )}
        <button type="button" className="button-secondary" onClick={clear} disabled={busy || !hasTurns}>
          Clear conversation
        </button>
      </div>
    </form>
  );
}
