import type { Db } from './connection.js';
import { newId } from '../ids.js';

export interface Account {
  id: string;
  name: string;
  allowSelfTopUp: boolean;
  createdAt: number;
}

interface AccountRow {
  id: string;
  name: string;
  allow_self_top_up: number;
  created_at: number;
}

const toAccount = (row: AccountRow): Account => ({ id: row.id, name: row.name, allowSelfTopUp: row.allow_self_top_up === 1, createdAt: row.created_at });

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;

export function createAccountsRepository(db: Db) {
  const insert = db.prepare('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)');
  const insertWallet = db.prepare('INSERT INTO wallets (account_id, balance_micros, locked_micros, updated_at) VALUES (?, 0, 0, ?)');
  const byId = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE id = ?');
  const byName = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE name = ?');
  const all = db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY created_at, name');
  const setSelfTopUp = db.prepare('UPDATE accounts SET allow_self_top_up = ? WHERE id = ?');

  const create = db.transaction((name: string): Account => {
    const id = newId('acct');
    const now = Date.now();
    insert.run(id, name, now);
    insertWallet.run(id, now);
    return { id, name, allowSelfTopUp: false, createdAt: now };
  });

  return {
    /** Creates an account with its empty wallet. Throws when the name is taken. */
    create(name: string): Account {
      const trimmed = name.trim();
      if (!/^[\w .@-]{1,64}$/.test(trimmed)) throw new RangeError('account name must be 1-64 letters, digits, spaces or . _ @ -');
      if (byName.get(trimmed)) throw new RangeError(`account "${trimmed}" already exists`);
      return create(trimmed);
    },
    list: (): Account[] => all.all().map(toAccount),
    get: (id: string): Account | undefined => {
      const row = byId.get(id);
      return row ? toAccount(row) : undefined;
    },
    /** Finds an account by id or by (unique) name. */
    find(idOrName: string): Account | undefined {
      const row = byId.get(idOrName) ?? byName.get(idOrName);
      return row ? toAccount(row) : undefined;
    },
    ensureDefault(): Account {
      const row = byName.get('default');
      return row ? toAccount(row) : create('default');
    },
    setSelfTopUp(id: string, allowed: boolean): void {
      setSelfTopUp.run(allowed ? 1 : 0, id);
    },
  };
}
