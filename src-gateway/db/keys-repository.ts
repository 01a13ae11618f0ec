import type { Db } from './connection.js';
import { newClientKey, newId, sha256Hex } from '../ids.js';

/** A client key as stored: only a SHA-256 hash and a display prefix, never the key itself. */
export interface ClientKeyRecord {
  id: string;
  accountId: string;
  name: string;
  prefix: string;
  rpm: number | null;
  tpm: number | null;
  models: string[] | null;
  requireSignature: boolean;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

interface KeyRow {
  id: string;
  account_id: string;
  name: string;
  key_hash: string;
  prefix: string;
  rpm: number | null;
  tpm: number | null;
  models: string | null;
  require_signature: number;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface NewKeyInput {
  accountId: string;
  name: string;
  rpm?: number | null;
  tpm?: number | null;
  models?: string[] | null;
  requireSignature?: boolean;
}

export interface KeyLookup extends ClientKeyRecord {
  keyHash: string;
}

const toRecord = (row: KeyRow): KeyLookup => ({
  id: row.id,
  accountId: row.account_id,
  name: row.name,
  prefix: row.prefix,
  keyHash: row.key_hash,
  rpm: row.rpm,
  tpm: row.tpm,
  models: row.models ? (JSON.parse(row.models) as string[]) : null,
  requireSignature: row.require_signature === 1,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
});

export const publicKey = ({ keyHash: _hash, ...rest }: KeyLookup): ClientKeyRecord => rest;

export type KeysRepository = ReturnType<typeof createKeysRepository>;

export function createKeysRepository(db: Db) {
  const insert = db.prepare(
    `INSERT INTO client_keys (id, account_id, name, key_hash, prefix, rpm, tpm, models, require_signature, created_at)
     VALUES (@id, @account_id, @name, @key_hash, @prefix, @rpm, @tpm, @models, @require_signature, @created_at)`,
  );
  const all = db.prepare<[], KeyRow>('SELECT * FROM client_keys ORDER BY created_at DESC');
  const byAccount = db.prepare<[string], KeyRow>('SELECT * FROM client_keys WHERE account_id = ? ORDER BY created_at DESC');
  const byId = db.prepare<[string], KeyRow>('SELECT * FROM client_keys WHERE id = ?');
  const active = db.prepare<[], KeyRow>('SELECT * FROM client_keys WHERE revoked_at IS NULL');
  const revoke = db.prepare('UPDATE client_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const update = db.prepare('UPDATE client_keys SET name = @name, rpm = @rpm, tpm = @tpm, models = @models, require_signature = @require_signature WHERE id = @id');
  const touch = db.prepare('UPDATE client_keys SET last_used_at = ? WHERE id = ?');

  return {
    /** Creates a key; the returned `key` is the only time its value exists outside the client. */
    create(input: NewKeyInput): { key: string; record: ClientKeyRecord } {
      const key = newClientKey();
      const id = newId('key');
      const now = Date.now();
      const name = input.name.trim();
      if (name.length === 0 || name.length > 100) throw new RangeError('key name must be 1-100 characters');
      insert.run({
        id,
        account_id: input.accountId,
        name,
        key_hash: sha256Hex(key),
        prefix: key.slice(0, 13),
        rpm: input.rpm ?? null,
        tpm: input.tpm ?? null,
        models: input.models && input.models.length > 0 ? JSON.stringify(input.models) : null,
        require_signature: input.requireSignature ? 1 : 0,
        created_at: now,
      });
      return { key, record: publicKey(toRecord(byId.get(id)!)) };
    },
    list: (accountId?: string): ClientKeyRecord[] => (accountId ? byAccount.all(accountId) : all.all()).map((r) => publicKey(toRecord(r))),
    get: (id: string): ClientKeyRecord | undefined => {
      const row = byId.get(id);
      return row ? publicKey(toRecord(row)) : undefined;
    },
    /** Every unrevoked key with its hash, for the in-memory auth cache. */
    activeWithHashes: (): KeyLookup[] => active.all().map(toRecord),
    revoke: (id: string): boolean => revoke.run(Date.now(), id).changes === 1,
    update(id: string, patch: Partial<Pick<ClientKeyRecord, 'name' | 'rpm' | 'tpm' | 'models' | 'requireSignature'>>): ClientKeyRecord | undefined {
      const row = byId.get(id);
      if (!row) return undefined;
      const current = toRecord(row);
      const next = { ...current, ...patch };
      update.run({
        id,
        name: next.name,
        rpm: next.rpm ?? null,
        tpm: next.tpm ?? null,
        models: next.models && next.models.length > 0 ? JSON.stringify(next.models) : null,
        require_signature: next.requireSignature ? 1 : 0,
      });
      return publicKey(toRecord(byId.get(id)!));
    },
    touch: (id: string, at: number): void => {
      touch.run(at, id);
    },
  };
}
