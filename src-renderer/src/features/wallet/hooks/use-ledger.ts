import { useCallback } from 'react';
import { useCursorList } from '../../../hooks/use-cursor-list';
import { listTransactions } from '../api/wallet-api';

/** The ledger of one account, newest first; "Load more" follows the cursor, `refreshHead` picks up new rows. */
export function useLedger(accountId: string) {
  const fetchPage = useCallback((cursor: string | null, signal?: AbortSignal) => listTransactions(accountId, cursor, signal), [accountId]);
  return useCursorList(fetchPage);
}
