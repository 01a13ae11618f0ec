import { useCallback, useEffect, useRef, useState } from 'react';
import type { ListPage } from '../lib/api-client';

interface CursorListState<T> {
  rows: T[];
  nextCursor: string | null;
  status: 'loading' | 'ready' | 'error';
  error?: string;
  loadingMore: boolean;
}

export type CursorList<T> = CursorListState<T> & {
  /** Appends the next (older) page. */
  loadMore: () => Promise<void>;
  /** Fetches the newest page again: unseen rows go on top, rows already shown are updated in place. */
  refreshHead: () => Promise<void>;
};

/**
 * A newest-first gateway listing with cursor pagination (`{data, has_more, next_cursor}`). `fetchPage` must be
 * stable (useCallback); a new one (new filters) starts over. With `pollMs` the head is refreshed in the background
 * while the tab is visible, keeping the older pages already loaded.
 */
export function useCursorList<T extends { id: string }>(
  fetchPage: (cursor: string | null, signal?: AbortSignal) => Promise<ListPage<T>>,
  options: { pollMs?: number } = {},
): CursorList<T> {
  const [state, setState] = useState<CursorListState<T>>({ rows: [], nextCursor: null, status: 'loading', loadingMore: false });
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    const controller = new AbortController();
    setState({ rows: [], nextCursor: null, status: 'loading', loadingMore: false });
    fetchPage(null, controller.signal).then(
      (page) => {
        if (mine === generation.current) setState({ rows: page.data, nextCursor: page.next_cursor ?? null, status: 'ready', loadingMore: false });
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ ...s, status: 'error', error: err instanceof Error ? err.message : String(err) }));
      },
    );
    return () => controller.abort();
  }, [fetchPage]);

  const refreshHead = useCallback(async () => {
    const mine = generation.current;
    try {
      const page = await fetchPage(null);
      if (mine !== generation.current) return;
      setState((s) => {
        if (s.status !== 'ready') return { rows: page.data, nextCursor: page.next_cursor ?? null, status: 'ready', loadingMore: false };
        const fetched = new Map(page.data.map((r) => [r.id, r]));
        const known = new Set(s.rows.map((r) => r.id));
        const fresh = page.data.filter((r) => !known.has(r.id));
        return { ...s, error: undefined, rows: [...fresh, ...s.rows.map((r) => fetched.get(r.id) ?? r)] };
      });
    } catch {
      // The next tick tries again; what is on screen stays valid.
    }
  }, [fetchPage]);

  const pollMs = options.pollMs;
  useEffect(() => {
    if (!pollMs) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void refreshHead();
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [refreshHead, pollMs]);

  const cursor = state.nextCursor;
  const loadMore = useCallback(async () => {
    if (!cursor) return;
    const mine = generation.current;
    setState((s) => ({ ...s, loadingMore: true }));
    try {
      const page = await fetchPage(cursor);
      if (mine !== generation.current) return;
      setState((s) => {
        const known = new Set(s.rows.map((r) => r.id));
        return { ...s, rows: [...s.rows, ...page.data.filter((r) => !known.has(r.id))], nextCursor: page.next_cursor ?? null, loadingMore: false };
      });
    } catch (err) {
      setState((s) => ({ ...s, loadingMore: false, error: err instanceof Error ? err.message : String(err) }));
    }
  }, [fetchPage, cursor]);

  return { ...state, loadMore, refreshHead };
}
