import { apiFetch } from '../../../lib/api-client';
import { readSse } from '../../../lib/sse';
import type { UsageRecord } from '../../../types/gateway';

/** A media job's state as the feed sends it (`event: job`) whenever it changes. */
export interface JobEvent {
  id: string;
  kind: 'video' | 'music';
  model: string;
  status: string;
  progress?: number | null;
  account_name: string | null;
  preview_url: string | null;
  cost_micros: number;
  updated_at: string;
}

/**
 * Follows `GET /admin/api/events` (fetch, not EventSource: the feed needs the admin token header) and calls
 * `onRequest` for each finished request and `onJob` for each media job change. Resolves when the stream ends; rejects when it cannot connect.
 */
export async function streamRequestEvents(
  signal: AbortSignal,
  onOpen: () => void,
  onRequest: (record: UsageRecord) => void,
  onJob: (job: JobEvent) => void = () => undefined,
): Promise<void> {
  const response = await apiFetch('/admin/api/events', { signal, headers: { Accept: 'text/event-stream' } });
  if (!response.body) throw new Error('The event stream has no body.');
  onOpen();
  for await (const event of readSse(response.body, signal)) {
    if (event.event !== 'request' && event.event !== 'job') continue;
    try {
      if (event.event === 'job') onJob(JSON.parse(event.data) as JobEvent);
      else onRequest(JSON.parse(event.data) as UsageRecord);
    } catch {
      // A malformed frame is skipped; the next one is independent.
    }
  }
}
