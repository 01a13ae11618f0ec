import { useCallback } from 'react';
import { useCursorList } from '../../../hooks/use-cursor-list';
import { listRequests, type RequestFilters } from '../api/usage-api';

/** The request log for `filters`, newest first, with "Load more" and a live head refreshed every `pollMs`. */
export function useRequestLog(filters: RequestFilters, pollMs: number) {
  const fetchPage = useCallback((cursor: string | null, signal?: AbortSignal) => listRequests(filters, cursor, signal), [filters]);
  return useCursorList(fetchPage, { pollMs });
}
