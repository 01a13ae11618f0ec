import { apiGet, apiSend, type ListPage } from '../../../lib/api-client';
import type { Account, ClientKey, ModelInfo } from '../../../types/gateway';

export interface NewKeyInput {
  name: string;
  account?: string;
  rpm?: number | null;
  tpm?: number | null;
  models?: string[] | null;
  require_signature?: boolean;
}

/** The create answer: the record plus the key itself, which the gateway never returns again. */
export type CreatedKey = ClientKey & { key: string };

export async function listKeys(signal?: AbortSignal): Promise<ClientKey[]> {
  return (await apiGet<ListPage<ClientKey>>('/admin/api/keys', signal)).data;
}

export async function listAccounts(signal?: AbortSignal): Promise<Account[]> {
  return (await apiGet<ListPage<Account>>('/admin/api/accounts', signal)).data;
}

export async function listModelIds(signal?: AbortSignal): Promise<{ id: string; modality: string }[]> {
  return (await apiGet<ListPage<ModelInfo>>('/admin/api/models', signal)).data.map((m) => ({ id: m.id, modality: m.modality }));
}

export function createKey(input: NewKeyInput): Promise<CreatedKey> {
  return apiSend('POST', '/admin/api/keys', input);
}

export function revokeKey(id: string): Promise<unknown> {
  return apiSend('DELETE', `/admin/api/keys/${encodeURIComponent(id)}`);
}
