import { useMemo, useSyncExternalStore } from 'react';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

const readHash = () => window.location.hash;

/** The page id in `#/<id>`. Hash routing works the same from `app://omixa/index.html` and from the gateway's `/`. */
export function readHashRoute(): string {
  return window.location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
}

export function useHashRoute(): string {
  return useSyncExternalStore(subscribe, readHashRoute);
}

/** Everything after the page id: `#/deployments/new` → `['new']`. */
export function useHashSubpath(): string[] {
  const hash = useSyncExternalStore(subscribe, readHash);
  // Same hash, same array: callers use it as an effect dependency.
  return useMemo(() => hash.replace(/^#\/?/, '').split('?')[0]!.split('/').slice(1).filter(Boolean), [hash]);
}

export function hrefFor(pageId: string): string {
  return `#/${pageId}`;
}
