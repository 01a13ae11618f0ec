import { useEffect } from 'react';
import { getRecentRequests } from '../api/get-recent-requests';
import { streamRequestEvents } from '../api/stream-events';
import { useLiveFeedStore } from '../stores/live-feed-store';

/** Keeps the live feed connected while the dashboard is shown, reconnecting with backoff (1 s … 15 s). */
export function useLiveFeed(): void {
  useEffect(() => {
    const controller = new AbortController();
    const { setConnection, push, seed, pushJob } = useLiveFeedStore.getState();
    let delay = 1000;
    let timer: number | undefined;

    const connect = () => {
      setConnection(delay === 1000 ? 'connecting' : 'reconnecting');
      streamRequestEvents(
        controller.signal,
        () => {
          delay = 1000;
          setConnection('live');
          // Requests that finished while nobody was listening: from the log, merged by id with live events.
          getRecentRequests(controller.signal).then(seed, () => undefined);
        },
        push,
        pushJob,
      )
        .catch(() => undefined)
        .finally(() => {
          if (controller.signal.aborted) return;
          setConnection('reconnecting');
          timer = window.setTimeout(connect, delay);
          delay = Math.min(delay * 2, 15_000);
        });
    };
    connect();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, []);
}
