import { useSyncExternalStore } from 'react';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

/** The page id in `#/<id>`. Hash routing works the same from `app://omixa/index.html` and from the gateway's `/`. */
export function readHashRoute(): string {
  return window.location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
}

export function useHashRoute(): string {
  return useSyncExternalStore(subscribe, readHashRoute);
}

export function hrefFor(pageId: string): string {
  return `#/${pageId}`;
}
