import type { ReactNode } from 'react';
import type { RequestResult } from '../hooks/use-request';

export function LoadingState({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: Error | string; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p>
        <strong>Something went wrong.</strong> {typeof error === 'string' ? error : error.message}
      </p>
      {onRetry && (
        <button type="button" className="button-secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="state state-empty" data-testid="empty-state">
      <p className="state-title">{title}</p>
      {children && <div className="muted">{children}</div>}
      {action && <div className="state-action">{action}</div>}
    </div>
  );
}

/** A one-line inline error under a form or a button row. */
export function InlineError({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p className="inline-error" role="alert">
      {message}
    </p>
  );
}

interface RequestViewProps<T> {
  request: RequestResult<T>;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}

/** Loading, error (with retry) or the data; a failed background refresh shows a small banner above the data. */
export function RequestView<T>({ request, loadingLabel, children }: RequestViewProps<T>) {
  if (request.status === 'loading') return <LoadingState label={loadingLabel} />;
  if (request.status === 'error') return <ErrorState error={request.error} onRetry={request.reload} />;
  return (
    <>
      {request.refreshError && (
        <p className="stale-banner" role="status">
          Could not refresh: {request.refreshError.message}. Showing the last data received.
        </p>
      )}
      {children(request.data)}
    </>
  );
}
