import type { SessionMode } from '../stores/session-store';
import { useSessionStore } from '../stores/session-store';
import { findPage, PAGES } from './pages';
import { hrefFor, useHashRoute } from './use-hash-route';

/** Left navigation plus the current page. */
export function Shell({ mode, apiBase }: { mode: SessionMode; apiBase: string }) {
  const current = findPage(useHashRoute());
  const signOut = useSessionStore((store) => store.signOut);
  const { Component } = current;

  return (
    <div className="shell">
      <nav className="nav" aria-label="Main">
        <div className="brand">Omixa</div>
        <ul>
          {PAGES.map((page) => (
            <li key={page.id}>
              <a href={hrefFor(page.id)} aria-current={page.id === current.id ? 'page' : undefined}>
                {page.label}
              </a>
            </li>
          ))}
        </ul>
        <footer className="nav-footer">
          <span className="muted" title="Gateway address">
            {apiBase}
          </span>
          {mode === 'browser' && (
            <button type="button" className="link-button" onClick={() => signOut()}>
              Sign out
            </button>
          )}
        </footer>
      </nav>
      <main className="content">
        <Component />
      </main>
    </div>
  );
}
