import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type Db } from '../../../src-gateway/db/connection.js';
import { MIGRATIONS } from '../../../src-gateway/db/migrations.js';
import { createResponsesRepository, RESPONSE_RETENTION_MS, type NewStoredResponse } from '../../../src-gateway/db/responses-repository.js';

const NOW = 1_800_000_000_000;
const DAY = 24 * 3_600_000;

function freshDb(): Db {
  const db = new Database(':memory:');
  migrate(db, MIGRATIONS);
  db.exec("INSERT INTO accounts (id, name, created_at) VALUES ('acct_a', 'a', 1), ('acct_b', 'b', 1)");
  return db;
}

function stored(id: string, input: Partial<NewStoredResponse> = {}): NewStoredResponse {
  const output = [{ id: `msg_out_${id}`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `answer ${id}`, annotations: [] }] }];
  return {
    id,
    accountId: 'acct_a',
    model: 'gpt-4o-mini',
    previousResponseId: null,
    response: JSON.stringify({ id, object: 'response', output }),
    inputItems: JSON.stringify([{ id: `msg_in_${id}`, type: 'message', role: 'user', content: `question ${id}` }]),
    bytes: 100,
    createdAt: NOW,
    ...input,
  };
}

describe('responses repository', () => {
  it('keeps a response for its account only', () => {
    const repo = createResponsesRepository(freshDb());
    repo.insert(stored('resp_1'));
    expect(JSON.parse(repo.response('resp_1', 'acct_a')!)).toMatchObject({ id: 'resp_1', object: 'response' });
    expect(JSON.parse(repo.inputItems('resp_1', 'acct_a')!)).toEqual([{ id: 'msg_in_resp_1', type: 'message', role: 'user', content: 'question resp_1' }]);
    expect(repo.response('resp_1', 'acct_b')).toBeUndefined();
    expect(repo.inputItems('resp_1', 'acct_b')).toBeUndefined();
    expect(repo.head('resp_1', 'acct_b')).toBeUndefined();
    expect(repo.chain('resp_1', 'acct_b')).toEqual([]);
    expect(repo.delete('resp_1', 'acct_b')).toBe(false);
    expect(repo.response('resp_1', 'acct_a')).toBeDefined();
  });

  it('walks a chain oldest first with each turn\'s inputs and outputs, and counts its depth and size', () => {
    const repo = createResponsesRepository(freshDb());
    expect(repo.insert(stored('resp_1', { bytes: 10 }))).toEqual({ id: 'resp_1', depth: 1, bytes: 10 });
    expect(repo.insert(stored('resp_2', { previousResponseId: 'resp_1', bytes: 20 }))).toEqual({ id: 'resp_2', depth: 2, bytes: 30 });
    expect(repo.insert(stored('resp_3', { previousResponseId: 'resp_2', bytes: 5 }))).toEqual({ id: 'resp_3', depth: 3, bytes: 35 });
    expect(repo.head('resp_3', 'acct_a')).toEqual({ id: 'resp_3', depth: 3, bytes: 35 });

    const turns = repo.chain('resp_3', 'acct_a');
    expect(turns.map((t) => t.id)).toEqual(['resp_1', 'resp_2', 'resp_3']);
    expect(turns[0]!.previousResponseId).toBeNull();
    expect(JSON.parse(turns[0]!.inputItems)[0].content).toBe('question resp_1');
    expect(JSON.parse(turns[0]!.outputItems)[0].content[0].text).toBe('answer resp_1');
    expect(repo.chain('resp_2', 'acct_a').map((t) => t.id)).toEqual(['resp_1', 'resp_2']);
  });

  it('never follows a link into another account, and a chain stops where an earlier response was deleted', () => {
    const repo = createResponsesRepository(freshDb());
    repo.insert(stored('resp_b1', { accountId: 'acct_b' }));
    // A crafted link to another account's response is neither counted nor followed.
    expect(repo.insert(stored('resp_a1', { previousResponseId: 'resp_b1' }))).toMatchObject({ depth: 1 });
    expect(repo.chain('resp_a1', 'acct_a').map((t) => t.id)).toEqual(['resp_a1']);

    repo.insert(stored('resp_a2', { previousResponseId: 'resp_a1' }));
    repo.insert(stored('resp_a3', { previousResponseId: 'resp_a2' }));
    expect(repo.delete('resp_a2', 'acct_a')).toBe(true);
    expect(repo.delete('resp_a2', 'acct_a')).toBe(false);
    // The oldest turn left names the missing response, so a continuation can refuse instead of losing context.
    expect(repo.chain('resp_a3', 'acct_a').map((t) => [t.id, t.previousResponseId])).toEqual([['resp_a3', 'resp_a2']]);
  });

  it('sweeps the responses older than 30 days, and only those', () => {
    const repo = createResponsesRepository(freshDb());
    expect(RESPONSE_RETENTION_MS).toBe(30 * DAY);
    repo.insert(stored('resp_old', { createdAt: NOW - 30 * DAY - 1 }));
    repo.insert(stored('resp_edge', { createdAt: NOW - 30 * DAY }));
    repo.insert(stored('resp_new', { createdAt: NOW - DAY, accountId: 'acct_b' }));
    expect(repo.sweepExpired(NOW)).toBe(1);
    expect(repo.response('resp_old', 'acct_a')).toBeUndefined();
    expect(repo.response('resp_edge', 'acct_a')).toBeDefined();
    expect(repo.response('resp_new', 'acct_b')).toBeDefined();
    expect(repo.sweepExpired(NOW)).toBe(0);
    expect(repo.sweepExpired(NOW + 30 * DAY)).toBe(2);
  });

  it('migrates a version-5 database: the responses table is added, the data already there is kept', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 5));
    db.exec(`
      INSERT INTO accounts (id, name, created_at) VALUES ('acct_a', 'a', 1);
      INSERT INTO wallets (account_id, balance_micros, locked_micros, updated_at) VALUES ('acct_a', 5000, 0, 1);
    `);
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    expect(migrate(db, MIGRATIONS)).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(6);
    expect(db.prepare('SELECT balance_micros FROM wallets WHERE account_id = ?').get('acct_a')).toEqual({ balance_micros: 5000 });

    const repo = createResponsesRepository(db);
    repo.insert(stored('resp_1'));
    expect(repo.head('resp_1', 'acct_a')).toEqual({ id: 'resp_1', depth: 1, bytes: 100 });
    // A response belongs to an existing account.
    expect(() => repo.insert(stored('resp_2', { accountId: 'acct_missing' }))).toThrow(/FOREIGN KEY/);
    expect(migrate(db, MIGRATIONS)).toBe(0);
  });
});
