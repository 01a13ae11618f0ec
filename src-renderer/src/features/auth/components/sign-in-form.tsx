import { useState, type FormEvent } from 'react';
import { useSessionStore } from '../../../stores/session-store';

/** Web console sign-in with the gateway's admin token. */
export function SignInForm({ notice }: { notice?: string }) {
  const signIn = useSessionStore((store) => store.signIn);
  const [token, setToken] = useState('');

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const trimmed = token.trim();
    if (trimmed) signIn(trimmed);
  };

  return (
    <main className="sign-in">
      <form className="card sign-in-card" onSubmit={submit}>
        <h1>Omixa console</h1>
        <p className="muted">Sign in with the gateway&apos;s admin token. It is kept for this tab only.</p>
        {notice && (
          <p className="error" role="alert">
            {notice}
          </p>
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
