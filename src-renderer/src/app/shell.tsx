import { useEffect, useRef } from 'react';
import type { SessionMode } from '../stores/session-store';
import { useSessionStore } from '../stores/session-store';
import { findPage, PAGES } from './pages';
import { ThemeToggle } from './theme-toggle';
import { hrefFor, useHashRoute } from '../hooks/use-hash-route';

/** Left navigation plus the current page. */
export function Shell({ mode, apiBase }: { mode: SessionMode; apiBase: string }) {
  const current = findPage(useHashRoute());
  const signOut = useSessionStore((store) => store.signOut);
  const mainRef = useRef<HTMLElement>(null);
  const { Component } = current;

  useEffect(() => {
    document.title = `${current.label} · Omixa`;
  }, [current]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={(event) => (event.preventDefault(), mainRef.current?.focus())}>
        Skip to content
      </a>
      <div className="nav-column">
      <nav className="nav" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Omixa
        </div>
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
          <ThemeToggle />
          <span className="muted nav-address" title="Gateway address">
            {apiBase.replace(/^https?:\/\//, '')}
          </span>
          {mode === 'browser' && (
            <button type="button" className="link-button" onClick={() => signOut()}>
              Sign out
            </button>
          )}
        </footer>
      </nav>
      </div>
      <main className="content" id="main" ref={mainRef} tabIndex={-1}>
        <Component key={current.id} />
      </main>
    </div>
  );
}
