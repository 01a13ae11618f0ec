import type { ReactNode } from 'react';

export type BadgeTone = 'ok' | 'warn' | 'danger' | 'neutral' | 'info';

/** A small status label; the tone is colour plus text, never colour alone. */
export function Badge({ tone = 'neutral', children, title }: { tone?: BadgeTone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** The tone for a request status (`ok`, `error`, `cancelled`, `pending`). */
export function requestStatusTone(status: string): BadgeTone {
  if (status === 'ok') return 'ok';
  if (status === 'pending') return 'info';
  if (status === 'cancelled') return 'warn';
  return 'danger';
}
