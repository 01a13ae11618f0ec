import { useEffect } from 'react';
import { SignInForm } from '../features/auth/components/sign-in-form';
import { useSessionStore } from '../stores/session-store';
import { Shell } from './shell';

export function App() {
  const session = useSessionStore((store) => store.session);
  const initialize = useSessionStore((store) => store.initialize);

  useEffect(() => {
    void initialize();
  }, [initialize]);

  switch (session.status) {
    case 'loading':
      return <p className="centered muted">Connecting to the gateway…</p>;
    case 'failed':
      return (
        <p className="centered error" role="alert">
          Could not reach the embedded gateway: {session.error}
        </p>
      );
    case 'signed-out':
      return <SignInForm notice={session.notice} rotatedToken={session.rotatedToken} />;
    case 'signed-in':
      return <Shell mode={session.mode} apiBase={session.apiBase} />;
  }
}
