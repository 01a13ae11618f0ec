import { useCallback, useEffect, useRef, useState } from 'react';

export type RequestState<T> =
  | { status: 'loading' }
  | { status: 'success'; data: T }
  | { status: 'error'; error: Error };

export interface RequestOptions {
  /** Re-runs `load` this often (ms) while the page is visible, keeping the current data on screen meanwhile. */
  pollMs?: number;
}

export type RequestResult<T> = RequestState<T> & {
  /** Runs `load` again without blanking the data already shown. */
  reload: () => void;
  /** True while a reload or poll is in flight. */
  refreshing: boolean;
  /** The last background refresh failed while older data stays on screen. */
  refreshError: Error | null;
};

/**
 * Runs `load` on mount and whenever it changes (wrap it in useCallback), aborting the previous run. With `pollMs`
 * it refreshes in the background; a failed refresh keeps the data on screen and reports `refreshError` (so a dead
 * gateway is visible) until the next success.
 */
export function useRequest<T>(load: (signal: AbortSignal) => Promise<T>, options: RequestOptions = {}): RequestResult<T> {
  const [state, setState] = useState<RequestState<T>>({ status: 'loading' });
  const [refreshing, setRefreshing] = useState(false);
  const [refreshError, setRefreshError] = useState<Error | null>(null);
  const [attempt, setAttempt] = useState(0);
  const loadRef = useRef(load);
  const firstRun = useRef(true);
  const statusRef = useRef(state.status);
  statusRef.current = state.status;

  useEffect(() => {
    // A new loader (new filters) starts from a loading state; a reload of the same one keeps the data.
    const sameLoader = loadRef.current === load && !firstRun.current;
    if (!sameLoader) setState({ status: 'loading' });
    loadRef.current = load;
    firstRun.current = false;
    const controller = new AbortController();
    setRefreshing(true);
    load(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        setState({ status: 'success', data });
        setRefreshError(null);
        setRefreshing(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        const error = err instanceof Error ? err : new Error(String(err));
        if (sameLoader && statusRef.current === 'success') setRefreshError(error);
        else setState({ status: 'error', error });
        setRefreshing(false);
      },
    );
    return () => controller.abort();
  }, [load, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  const pollMs = options.pollMs;
  useEffect(() => {
    if (!pollMs) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [pollMs, reload]);

  return { ...state, reload, refreshing, refreshError };
}

/** A one-shot action (a form submit, a button): pending flag and last error, for the button and the inline message. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setPending(true);
      setError(null);
      try {
        return await action(...args);
      } catch (err) {
        setError(err instanceof Error ? err.message : String(err));
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [action],
  );
  const clearError = useCallback(() => setError(null), []);
  return { run, pending, error, clearError };
}
