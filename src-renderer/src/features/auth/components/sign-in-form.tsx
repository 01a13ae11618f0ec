import { useState, type FormEvent } from 'react';
import { CopyButton } from '../../../components/copy-button';
import { useSessionStore } from '../../../stores/session-store';

/** Web console sign-in with the gateway's admin token. After a rotation the new token is shown here once. */
export function SignInForm({ notice, rotatedToken }: { notice?: string; rotatedToken?: string }) {
  const signIn = useSessionStore((store) => store.signIn);
  const [token, setToken] = useState('');

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const trimmed = token.trim();
    if (trimmed) signIn(trimmed);
  };

  return (
    <main className="sign-in">
      <form className="panel sign-in-card" onSubmit={submit}>
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Omixa
        </div>
        <h1>Sign in to the console</h1>
        <p className="muted">
          Use the gateway&apos;s admin token (<code>npx omixa admin-token</code> prints it). It is kept for this tab only.
        </p>
        {notice && (
          <p className={rotatedToken ? 'notice' : 'inline-error'} role="alert">
            {notice}
          </p>
        )}
        {rotatedToken && (
          <div className="reveal-row" data-testid="rotated-token">
            <code className="secret">{rotatedToken}</code>
            <CopyButton text={rotatedToken} label="Copy token" />
          </div>
        )}
        <label htmlFor="admin-token">Admin token</label>
        <input
          id="admin-token"
          type="password"
          autoComplete="current-password"
          value={token}
          onChange={(event) => setToken(event.target.value)}
          autoFocus
          required
        />
        <button type="submit" disabled={!token.trim()}>
          Sign in
        </button>
      </form>
    </main>
  );
}
