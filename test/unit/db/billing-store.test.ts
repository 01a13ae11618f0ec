import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type Db } from '../../../src-gateway/db/connection.js';
import { MIGRATIONS } from '../../../src-gateway/db/migrations.js';
import { createAccountsRepository } from '../../../src-gateway/db/accounts-repository.js';
import { createWalletRepository, InsufficientBalanceError } from '../../../src-gateway/db/wallet-repository.js';
import { createRequestsRepository, type NewRequest, type RequestOutcome } from '../../../src-gateway/db/requests-repository.js';
import { createBillingRepository } from '../../../src-gateway/db/billing-repository.js';

function repositories(db: Db) {
  const wallet = createWalletRepository(db);
  const requests = createRequestsRepository(db);
  return { accounts: createAccountsRepository(db), wallet, requests, billing: createBillingRepository(db, wallet, requests) };
}

function freshStore() {
  const db = new Database(':memory:');
  migrate(db, MIGRATIONS);
  const repos = repositories(db);
  const account = repos.accounts.create('team');
  return { db, ...repos, accountId: account.id };
}

let counter = 0;
function newRequest(accountId: string, holdMicros: number): NewRequest {
  counter++;
  return { id: `req_${String(counter).padStart(8, '0')}`, accountId, keyId: null, source: 'api', model: 'gpt-4o-mini', endpoint: '/v1/chat/completions', stream: false, holdMicros, createdAt: 1_700_000_000_000 + counter };
}
const ok = (finishedAt = Date.now()): RequestOutcome => ({ status: 'ok', httpStatus: 200, promptTokens: 10, completionTokens: 5, finishedAt });

/** A tiny seeded generator, so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('billing store', () => {
  it('holds on open, captures the cost and releases the rest on close, once', () => {
    const s = freshStore();
    s.wallet.topUp(s.accountId, 10_000);
    const r = newRequest(s.accountId, 4_000);
    s.billing.open(r);
    expect(s.wallet.get(s.accountId)).toEqual({ balanceMicros: 10_000, lockedMicros: 4_000 });
    expect(s.requests.pendingHold(r.id)).toEqual({ account_id: s.accountId, hold_micros: 4_000 });

    const settled = s.billing.close(r.id, ok(), 1_234);
    expect(settled).toMatchObject({ capturedMicros: 1_234, releasedMicros: 2_766, shortfallMicros: 0 });
    expect(s.wallet.get(s.accountId)).toEqual({ balanceMicros: 8_766, lockedMicros: 0 });
    expect(s.requests.get(r.id)).toMatchObject({ status: 'ok', cost_micros: 1_234, hold_micros: 4_000 });
    expect(s.wallet.forRequest(r.id).map((e) => [e.type, e.amount_micros])).toEqual([['hold', 4_000], ['capture', 1_234], ['release', 2_766]]);

    // A second close (a retry after a crash, a race with recovery) settles nothing.
    expect(s.billing.close(r.id, ok(), 9_999)).toBeUndefined();
    expect(s.wallet.get(s.accountId)).toEqual({ balanceMicros: 8_766, lockedMicros: 0 });
    expect(s.requests.pendingHold(r.id)).toBeUndefined();
    expect(s.wallet.violations(s.accountId)).toEqual([]);
  });

  it('refuses a hold the wallet cannot cover and writes nothing', () => {
    const s = freshStore();
    s.wallet.topUp(s.accountId, 1_000);
    const r = newRequest(s.accountId, 1_001);
    expect(() => s.billing.open(r)).toThrow(InsufficientBalanceError);
    expect(s.requests.get(r.id)).toBeUndefined();
    expect(s.wallet.forRequest(r.id)).toEqual([]);
    expect(s.wallet.get(s.accountId)).toEqual({ balanceMicros: 1_000, lockedMicros: 0 });
  });

  it('group-commits the opens of one turn; a refused one rolls back only itself', async () => {
    const s = freshStore();
    s.wallet.topUp(s.accountId, 10_000);
    const requests = [3_000, 3_000, 5_000, 3_000].map((hold) => newRequest(s.accountId, hold));
    const results = await Promise.allSettled(requests.map((r) => s.billing.openBatched(r)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(InsufficientBalanceError);
    expect(s.requests.get(requests[2]!.id)).toBeUndefined();
    expect(s.wallet.get(s.accountId)).toEqual({ balanceMicros: 10_000, lockedMicros: 9_000 });
    await Promise.all([requests[0], requests[1], requests[3]].map((r) => s.billing.closeBatched(r!.id, ok(), 1_000)));
    expect(s.wallet.get(s.accountId)).toEqual({ balanceMicros: 7_000, lockedMicros: 0 });
    expect(s.wallet.violations(s.accountId)).toEqual([]);
  });

  it('in a group, an operation that fails after writing part of itself fails alone and leaves no trace', async () => {
    const s = freshStore();
    s.wallet.topUp(s.accountId, 10_000);
    const taken = newRequest(s.accountId, 1_000);
    s.billing.open(taken);
    s.billing.close(taken.id, ok(), 400);
    // Same id as a finished row: its hold is written, then its usage row breaks the UNIQUE constraint.
    const clash = { ...newRequest(s.accountId, 2_000), id: taken.id };
    const others = [newRequest(s.accountId, 1_500), newRequest(s.accountId, 2_500)];
    const refused = newRequest(s.accountId, 9_000);
    const ledgerBefore = s.db.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number };
    // Keep a call open, so that the ones below wait for the end of the turn and commit as one group.
    const keeper = newRequest(s.accountId, 100);
    await s.billing.openBatched(keeper);

    const results = await Promise.allSettled([others[0]!, clash, refused, others[1]!].map((r) => s.billing.openBatched(r)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(InsufficientBalanceError);
    // The clash's hold was undone: locked is the keeper's and the two others' holds, and the ledger gained their three rows.
    expect(s.wallet.get(s.accountId)).toEqual({ balanceMicros: 9_600, lockedMicros: 4_100 });
    const ledgerAfter = s.db.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number };
    expect(ledgerAfter.n - ledgerBefore.n).toBe(3);
    expect(s.wallet.forRequest(taken.id).map((e) => e.type)).toEqual(['hold', 'capture', 'release']);
    expect(s.requests.get(taken.id)).toMatchObject({ status: 'ok', hold_micros: 1_000, cost_micros: 400 });
    expect(s.requests.pendingIds().sort()).toEqual([keeper.id, others[0]!.id, others[1]!.id].sort());
    expect(s.wallet.violations(s.accountId)).toEqual([]);
  });

  it('a group whose transaction cannot start rejects every operation and writes nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-billing-'));
    try {
      const file = path.join(dir, 'omixa.db');
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      migrate(db, MIGRATIONS);
      const s = { db, ...repositories(db) };
      const accountId = s.accounts.create('team').id;
      s.wallet.topUp(accountId, 10_000);
      const keeper = newRequest(accountId, 100);
      await s.billing.openBatched(keeper);

      // Another process holds the write lock, and this connection does not wait for it.
      const other = new Database(file);
      other.prepare('BEGIN IMMEDIATE').run();
      db.pragma('busy_timeout = 0');
      const group = [newRequest(accountId, 1_000), newRequest(accountId, 2_000)];
      const results = await Promise.allSettled(group.map((r) => s.billing.openBatched(r)));
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
      other.prepare('ROLLBACK').run();
      other.close();

      expect(s.wallet.get(accountId)).toEqual({ balanceMicros: 10_000, lockedMicros: 100 });
      expect(s.requests.pendingIds()).toEqual([keeper.id]);
      expect(s.wallet.violations(accountId)).toEqual([]);
      db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commits a call alone at once, and groups calls that overlap', async () => {
    const s = freshStore();
    s.wallet.topUp(s.accountId, 10_000);
    const first = newRequest(s.accountId, 1_000);
    const opening = s.billing.openBatched(first);
    // Alone: committed before openBatched returned.
    expect(s.wallet.get(s.accountId).lockedMicros).toBe(1_000);
    await opening;

    // With a call open, the next ones wait for the end of the turn and commit together.
    const second = newRequest(s.accountId, 2_000);
    const third = newRequest(s.accountId, 3_000);
    const both = Promise.all([s.billing.openBatched(second), s.billing.openBatched(third)]);
    expect(s.wallet.get(s.accountId).lockedMicros).toBe(1_000);
    await both;
    expect(s.wallet.get(s.accountId).lockedMicros).toBe(6_000);

    await Promise.all([first, second].map((r) => s.billing.closeBatched(r.id, ok(), 500)));
    expect(s.wallet.get(s.accountId)).toEqual({ balanceMicros: 9_000, lockedMicros: 3_000 });
    // The last open call is alone again: its close commits at once.
    const closing = s.billing.closeBatched(third.id, ok(), 500);
    expect(s.wallet.get(s.accountId)).toEqual({ balanceMicros: 8_500, lockedMicros: 0 });
    await closing;
    expect(s.wallet.violations(s.accountId)).toEqual([]);
  });

  it('keeps the ledger invariants through a long random sequence of money moves', () => {
    const s = freshStore();
    const next = random(20261127);
    const open: string[] = [];
    let captured = 0;
    let toppedUp = 0;
    for (let step = 0; step < 2_000; step++) {
      const roll = next();
      if (roll < 0.1) {
        const amount = 1 + Math.floor(next() * 50_000);
        s.wallet.topUp(s.accountId, amount);
        toppedUp += amount;
      } else if (roll < 0.55) {
        const r = newRequest(s.accountId, Math.floor(next() * 20_000));
        try {
          s.billing.open(r);
          open.push(r.id);
        } catch (err) {
          expect(err).toBeInstanceOf(InsufficientBalanceError);
        }
      } else if (open.length > 0) {
        const id = open.splice(Math.floor(next() * open.length), 1)[0]!;
        // Costs above the hold happen (the estimate was low): what the wallet cannot cover is a shortfall, never a debt.
        const settled = s.billing.close(id, ok(), Math.floor(next() * 30_000))!;
        captured += settled.capturedMicros;
      }
      const state = s.wallet.get(s.accountId);
      expect(state.lockedMicros).toBeGreaterThanOrEqual(0);
      expect(state.lockedMicros).toBeLessThanOrEqual(state.balanceMicros);
    }
    expect(s.wallet.violations(s.accountId)).toEqual([]);
    expect(s.wallet.get(s.accountId).balanceMicros).toBe(toppedUp - captured);
    expect(s.billing.releaseUnfinished()).toBe(open.length);
    expect(s.wallet.get(s.accountId)).toEqual({ balanceMicros: toppedUp - captured, lockedMicros: 0 });
    expect(s.wallet.violations(s.accountId)).toEqual([]);
  });

  it('migrates a version-4 database: holds become the pending rows, the ledger keeps its rows, order and guards', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 4));
    db.exec(`
      INSERT INTO accounts (id, name, created_at) VALUES ('acct_1', 'team', 1);
      INSERT INTO wallets (account_id, balance_micros, locked_micros, updated_at) VALUES ('acct_1', 8000, 3000, 1);
      INSERT INTO ledger (seq, id, account_id, type, amount_micros, direction, balance_after_micros, locked_after_micros, request_id, note, created_at) VALUES
        (1, 'txn_a', 'acct_1', 'top_up', 10000, 'credit', 10000, 0, NULL, 'first', 1),
        (2, 'txn_b', 'acct_1', 'hold', 2500, 'lock', 10000, 2500, 'req_done', NULL, 2),
        (3, 'txn_c', 'acct_1', 'capture', 2000, 'debit', 8000, 500, 'req_done', NULL, 3),
        (4, 'txn_d', 'acct_1', 'release', 500, 'unlock', 8000, 0, 'req_done', NULL, 3),
        (5, 'txn_e', 'acct_1', 'hold', 3000, 'lock', 8000, 3000, 'req_open', NULL, 4);
      INSERT INTO holds (request_id, account_id, amount_micros, status, created_at, settled_at) VALUES
        ('req_done', 'acct_1', 2500, 'settled', 2, 3), ('req_open', 'acct_1', 3000, 'active', 4, NULL);
      INSERT INTO requests (id, account_id, model, endpoint, status, hold_micros, cost_micros, created_at) VALUES
        ('req_done', 'acct_1', 'gpt-4o-mini', '/v1/chat/completions', 'ok', 2500, 2000, 2),
        ('req_open', 'acct_1', 'gpt-4o-mini', '/v1/chat/completions', 'pending', 3000, 0, 4);
    `);

    expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.filter((m) => m.version > 4).length);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    expect(tables).not.toContain('holds');
    expect(tables).not.toContain('ledger_next');
    const ledger = db.prepare('SELECT seq, id, type, note FROM ledger ORDER BY seq').all();
    expect(ledger).toEqual([
      { seq: 1, id: 'txn_a', type: 'top_up', note: 'first' },
      { seq: 2, id: 'txn_b', type: 'hold', note: null },
      { seq: 3, id: 'txn_c', type: 'capture', note: null },
      { seq: 4, id: 'txn_d', type: 'release', note: null },
      { seq: 5, id: 'txn_e', type: 'hold', note: null },
    ]);
    expect(() => db.prepare('UPDATE ledger SET amount_micros = 1 WHERE seq = 1').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM ledger WHERE seq = 1').run()).toThrow(/append-only/);

    const repos = repositories(db);
    expect(repos.wallet.violations('acct_1')).toEqual([]);
    expect(repos.requests.pendingIds()).toEqual(['req_open']);
    // The hold the old table tracked is settled from its pending row.
    expect(repos.billing.releaseUnfinished(5)).toBe(1);
    expect(repos.wallet.get('acct_1')).toEqual({ balanceMicros: 8_000, lockedMicros: 0 });
    expect(repos.wallet.forRequest('req_open').map((e) => e.type)).toEqual(['hold', 'release']);
    expect(repos.requests.get('req_open')).toMatchObject({ status: 'error', error_code: 'interrupted', cost_micros: 0 });
    expect(repos.wallet.violations('acct_1')).toEqual([]);
    // New rows continue the sequence.
    repos.wallet.topUp('acct_1', 1);
    expect((db.prepare('SELECT MAX(seq) AS seq FROM ledger').get() as { seq: number }).seq).toBe(7);
  });
});
