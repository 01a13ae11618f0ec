import { apiGet, apiSend, withQuery, type ListPage } from '../../../lib/api-client';
import type { Account, LedgerEntry } from '../../../types/gateway';

const accountPath = (id: string) => `/admin/api/accounts/${encodeURIComponent(id)}`;

export async function listAccounts(signal?: AbortSignal): Promise<Account[]> {
  return (await apiGet<ListPage<Account>>('/admin/api/accounts', signal)).data;
}

export function createAccount(name: string): Promise<Account> {
  return apiSend('POST', '/admin/api/accounts', { name });
}

/** Credits `amountMicros` (> 0). */
export function topUp(accountId: string, amountMicros: number, note?: string): Promise<Account> {
  return apiSend('POST', `${accountPath(accountId)}/top-up`, { amount_micros: amountMicros, note: note || undefined });
}

/** A correction, positive or negative. */
export function adjust(accountId: string, amountMicros: number, note?: string): Promise<Account> {
  return apiSend('POST', `${accountPath(accountId)}/adjust`, { amount_micros: amountMicros, note: note || undefined });
}

export function listTransactions(accountId: string, cursor?: string | null, signal?: AbortSignal): Promise<ListPage<LedgerEntry>> {
  return apiGet(withQuery(`${accountPath(accountId)}/transactions`, { cursor, limit: 50 }), signal);
}
