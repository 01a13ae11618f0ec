import { apiFetch } from '../../../lib/api-client';
import { readSse } from '../../../lib/sse';
import type { UsageRecord } from '../../../types/gateway';

/**
 * Follows `GET /admin/api/events` (fetch, not EventSource: the feed needs the admin token header) and calls
 * `onRequest` for each finished request. Resolves when the stream ends; rejects when it cannot connect.
 */
export async function streamRequestEvents(signal: AbortSignal, onOpen: () => void, onRequest: (record: UsageRecord) => void): Promise<void> {
  const response = await apiFetch('/admin/api/events', { signal, headers: { Accept: 'text/event-stream' } });
  if (!response.body) throw new Error('The event stream has no body.');
  onOpen();
  for await (const event of readSse(response.body, signal)) {
    if (event.event !== 'request') continue;
    try {
      onRequest(JSON.parse(event.data) as UsageRecord);
    } catch {
      // A malformed frame is skipped; the next one is independent.
    }
  }
}
