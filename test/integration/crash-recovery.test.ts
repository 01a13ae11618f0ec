import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureFake, type AzureFake } from '../support/fakes/azure-openai.js';
import { children, cli, serve as serveProcess, type OmixaServer as Server } from '../support/omixa-process.js';

/**
 * Crash recovery with the real `omixa serve` process: streams in flight hold money; SIGKILL leaves those holds locked
 * on disk; the next start on the same data dir releases them, marks the requests interrupted, and keeps billing exact.
 */

const STREAMS = 3;
const TOP_UP_MICROS = 5_000_000;
/** Quiet children, and no padding comment so the tests can count events in the raw stream. */
const ENV = { OMIXA_LOG_LEVEL: 'warn', AZURE_STREAM_FLUSH_PADDING_BYTES: '0' };
const serve = (dataDir: string, { port = 0 } = {}): Promise<Server> => serveProcess(dataDir, ENV, 60_000, port);

async function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function killHard(server: Server): Promise<void> {
  server.child.kill('SIGKILL');
  const { signal } = await withTimeout('the gateway to die', server.exited, 10_000);
  expect(signal).toBe('SIGKILL');
}

interface LedgerRow {
  type: string;
  amount_micros: number;
  request_id: string | null;
}

describe('crash recovery of the real gateway process', () => {
  let dataDir: string;
  let fake: AzureFake;
  let server: Server | undefined;
  let adminToken: string;
  let key: string;
  let accountId: string;
  const streamIds: string[] = [];
  const holds = new Map<string, number>();
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];

  async function admin<T = any>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const res = await fetch(`${server!.url}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`admin ${method} ${urlPath}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function ledger(): Promise<LedgerRow[]> {
    return (await admin<{ data: LedgerRow[] }>('GET', `/admin/api/accounts/${accountId}/transactions?limit=500`)).data;
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-crash-'));
    fake = await startAzureFake({ chunkDelayMs: 100 });
  });

  afterAll(async () => {
    for (const reader of readers) await withTimeout('a dead stream to cancel', reader.cancel(), 2_000).catch(() => undefined);
    for (const child of children) child.kill('SIGKILL');
    await fake?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts from the CLI, takes calls, and is SIGKILLed with streams in flight: the holds stay locked on disk', async () => {
    server = await serve(dataDir);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toMatch(/:0$/);

    const token = await cli(dataDir, ['admin-token']);
    expect(token.code).toBe(0);
    adminToken = token.stdout.trim();
    expect(adminToken.length).toBeGreaterThanOrEqual(16);

    const account = await admin<{ id: string }>('POST', '/admin/api/accounts', { name: 'crash' });
    accountId = account.id;
    await admin('POST', '/admin/api/deployments', { name: 'crash-az', model: 'gpt-4o-mini', endpoint: fake.url, deployment: 'gpt-4o-mini', api_key: 'azure-secret-1' });
    await admin('POST', `/admin/api/accounts/crash/top-up`, { amount_micros: TOP_UP_MICROS });
    key = (await admin<{ key: string }>('POST', '/admin/api/keys', { name: 'crash-key', account: 'crash' })).key;

    // Long answers, 100 ms apart upstream: each stream would take ~30 s.
    fake.setOptions({ chunkDelayMs: 100, reply: () => ({ content: Array.from({ length: 300 }, (_, i) => `tok${i}`).join(' ') }) });
    const abortedBefore = fake.aborted;
    const decoder = new TextDecoder();
    await Promise.all(
      Array.from({ length: STREAMS }, async (_, i) => {
        const res = await fetch(`${server!.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, max_tokens: 2_000, messages: [{ role: 'user', content: `long story ${i}` }] }),
          signal: AbortSignal.timeout(60_000),
        });
        expect(res.status).toBe(200);
        streamIds.push(res.headers.get('x-omixa-request-id')!);
        const reader = res.body!.getReader();
        readers.push(reader);
        let text = '';
        let contentEvents = 0;
        const deadline = Date.now() + 15_000;
        while (contentEvents < 3) {
          if (Date.now() > deadline) throw new Error(`stream ${i} got only ${contentEvents} content events`);
          const { value, done } = await withTimeout(`stream ${i} to send events`, reader.read(), 10_000);
          if (done) throw new Error(`stream ${i} ended early:\n${text}`);
          text += decoder.decode(value, { stream: true });
          contentEvents = (text.match(/"content":"\s*tok\d+"/g) ?? []).length;
        }
      }),
    );
    expect(new Set(streamIds).size).toBe(STREAMS);

    // The server holds money for each stream right now.
    for (const row of await ledger()) if (row.type === 'hold' && row.request_id) holds.set(row.request_id, row.amount_micros);
    expect([...holds.keys()].sort()).toEqual([...streamIds].sort());
    const lockedLive = (await admin<{ wallet: { locked_micros: number } }>('GET', `/admin/api/accounts/${accountId}`)).wallet.locked_micros;
    const heldTotal = [...holds.values()].reduce((a, b) => a + b, 0);
    expect(lockedLive).toBe(heldTotal);
    expect(heldTotal).toBeGreaterThan(STREAMS * 2_000 * 0.6); // max_tokens × the output rate, per stream

    await killHard(server);
    server = undefined;
    // The dead gateway's upstream sockets closed with it.
    await expect.poll(() => fake.aborted - abortedBefore, { timeout: 5_000 }).toBe(STREAMS);

    // What is on disk: the holds are still active and locked, the requests still pending, nothing captured or released.
    const db = new Database(path.join(dataDir, 'omixa.db'), { readonly: true, fileMustExist: true });
    try {
      const wallet = db.prepare('SELECT balance_micros, locked_micros FROM wallets WHERE account_id = ?').get(accountId) as { balance_micros: number; locked_micros: number };
      expect(wallet).toEqual({ balance_micros: TOP_UP_MICROS, locked_micros: heldTotal });
      const activeHolds = db.prepare("SELECT id AS request_id, hold_micros AS amount_micros FROM requests WHERE account_id = ? AND status = 'pending'").all(accountId) as { request_id: string; amount_micros: number }[];
      expect(Object.fromEntries(activeHolds.map((h) => [h.request_id, h.amount_micros]))).toEqual(Object.fromEntries(holds));
      const statuses = db.prepare(`SELECT id, status FROM requests WHERE id IN (${streamIds.map(() => '?').join(',')})`).all(...streamIds) as { id: string; status: string }[];
      expect(statuses.map((s) => s.status)).toEqual(streamIds.map(() => 'pending'));
      const moves = db.prepare(`SELECT type FROM ledger WHERE request_id IN (${streamIds.map(() => '?').join(',')})`).all(...streamIds) as { type: string }[];
      expect(moves.map((m) => m.type)).toEqual(streamIds.map(() => 'hold'));
    } finally {
      db.close();
    }

    // The CLI sees the same on the stopped data dir, and the invariants hold even mid-crash (locked = Σ active holds).
    const [shown, doctor] = await Promise.all([cli(dataDir, ['wallet', 'show', '--account', 'crash', '--json']), cli(dataDir, ['doctor', '--json'])]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ account: accountId, balance_micros: TOP_UP_MICROS, locked_micros: heldTotal, available_micros: TOP_UP_MICROS - heldTotal });
    const checks = JSON.parse(doctor.stdout) as { check: string; ok: boolean; detail: string }[];
    expect(checks.find((c) => c.check === 'ledger')).toMatchObject({ ok: true });
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(doctor.code).toBe(0);
  }, 240_000);

  it('releases the holds at the next start and marks the requests interrupted', async () => {
    expect(holds.size).toBe(STREAMS);
    server = await serve(dataDir);
    await expect.poll(() => server!.output(), { timeout: 5_000 }).toContain('released the holds of requests that never finished');
    expect(server.output()).toMatch(/"released":\s*3\b/);

    const account = await admin<{ wallet: { balance_micros: number; locked_micros: number; available_micros: number } }>('GET', `/admin/api/accounts/${accountId}`);
    expect(account.wallet).toMatchObject({ balance_micros: TOP_UP_MICROS, locked_micros: 0, available_micros: TOP_UP_MICROS });

    for (const id of streamIds) {
      const row = await admin<Record<string, unknown>>('GET', `/admin/api/usage/requests/${id}`);
      expect(row).toMatchObject({ status: 'error', error_code: 'interrupted', cost_micros: 0, hold_micros: holds.get(id) });
    }
    const pending = await admin<{ data: unknown[] }>('GET', `/admin/api/usage/requests?account=${accountId}&status=pending`);
    expect(pending.data).toEqual([]);

    // Each interrupted request: its hold, then one release of the same amount; never a capture.
    const rows = await ledger();
    for (const id of streamIds) {
      const mine = rows.filter((r) => r.request_id === id);
      expect(mine.map((r) => r.type).sort()).toEqual(['hold', 'release']);
      expect(mine.every((r) => r.amount_micros === holds.get(id))).toBe(true);
    }

    const doctor = await admin('GET', '/admin/api/doctor');
    expect(doctor).toMatchObject({ ledger_ok: true, violations: {}, integrity: 'ok' });
  }, 120_000);

  it('takes a new call after the restart and bills it exactly once', async () => {
    fake.setOptions({ chunkDelayMs: 10, reply: () => ({ content: 'back again', usage: { prompt_tokens: 1_000, completion_tokens: 500 } }) });
    const before = await ledger();
    const res = await fetch(`${server!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 1_000, messages: [{ role: 'user', content: 'are you there?' }] }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe('back again');
    const id = res.headers.get('x-omixa-request-id')!;

    // 1000 × 0.15 + 500 × 0.60 micro-USD (gpt-4o-mini list prices)
    const cost = 450;
    const after = await ledger();
    expect(after.length - before.length).toBe(3);
    const mine = after.filter((r) => r.request_id === id);
    expect(mine.map((r) => r.type).sort()).toEqual(['capture', 'hold', 'release']);
    const amount = (type: string) => mine.find((r) => r.type === type)!.amount_micros;
    expect(amount('capture')).toBe(cost);
    expect(amount('hold') - amount('release')).toBe(cost);
    expect(await admin('GET', `/admin/api/usage/requests/${id}`)).toMatchObject({ status: 'ok', cost_micros: cost, prompt_tokens: 1_000, completion_tokens: 500 });
    const wallet = (await admin<{ wallet: { balance_micros: number; locked_micros: number } }>('GET', `/admin/api/accounts/${accountId}`)).wallet;
    expect(wallet).toEqual(expect.objectContaining({ balance_micros: TOP_UP_MICROS - cost, locked_micros: 0 }));
    expect((await admin('GET', '/admin/api/doctor')).ledger_ok).toBe(true);
  }, 30_000);

  it('a second gateway on the same data dir that cannot get the port leaves the running one\'s holds alone', async () => {
    fake.setOptions({ chunkDelayMs: 100, reply: () => ({ content: Array.from({ length: 300 }, (_, i) => `tok${i}`).join(' ') }) });
    const controller = new AbortController();
    const res = await fetch(`${server!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, max_tokens: 2_000, messages: [{ role: 'user', content: 'keep going' }] }),
      signal: AbortSignal.any([controller.signal, AbortSignal.timeout(60_000)]),
    });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-omixa-request-id')!;
    const reader = res.body!.getReader();
    readers.push(reader);
    const decoder = new TextDecoder();
    let text = '';
    while ((text.match(/"content":"\s*tok\d+"/g) ?? []).length < 3) {
      const { value, done } = await withTimeout('the stream to send events', reader.read(), 10_000);
      if (done) throw new Error(`the stream ended early:\n${text}`);
      text += decoder.decode(value, { stream: true });
    }
    const held = (await ledger()).find((r) => r.request_id === id && r.type === 'hold')!.amount_micros;

    // `omixa serve` on the port the running gateway holds: it must fail, and must not "recover" the live stream's hold.
    const port = Number(new URL(server!.url).port);
    await expect(serve(dataDir, { port })).rejects.toThrow(new RegExp(`port ${port} is already in use|already serving`));
    expect(await admin('GET', `/admin/api/usage/requests/${id}`)).toMatchObject({ status: 'pending' });
    expect((await admin<{ wallet: { locked_micros: number } }>('GET', `/admin/api/accounts/${accountId}`)).wallet.locked_micros).toBe(held);
    expect((await ledger()).filter((r) => r.request_id === id).map((r) => r.type)).toEqual(['hold']);

    // The stream is still the running gateway's: the client hangs up and it bills what was generated, once.
    controller.abort();
    await expect.poll(async () => (await admin<{ status: string }>('GET', `/admin/api/usage/requests/${id}`)).status, { timeout: 5_000 }).toBe('cancelled');
    const row = await admin<{ cost_micros: number; completion_tokens: number }>('GET', `/admin/api/usage/requests/${id}`);
    expect(row.completion_tokens).toBeGreaterThan(0);
    expect(row.cost_micros).toBeGreaterThan(0);
    const mine = (await ledger()).filter((r) => r.request_id === id);
    expect(mine.map((r) => r.type).sort()).toEqual(['capture', 'hold', 'release']);
    expect(mine.find((r) => r.type === 'capture')!.amount_micros).toBe(row.cost_micros);
    expect((await admin<{ wallet: { locked_micros: number } }>('GET', `/admin/api/accounts/${accountId}`)).wallet.locked_micros).toBe(0);
    expect((await admin('GET', '/admin/api/doctor')).ledger_ok).toBe(true);
  }, 120_000);

  it('a clean stop and another start release nothing and change no money', async () => {
    const before = await ledger();
    const walletBefore = (await admin<{ wallet: unknown }>('GET', `/admin/api/accounts/${accountId}`)).wallet;
    server!.child.kill('SIGTERM');
    const { code } = await withTimeout('the gateway to stop on SIGTERM', server!.exited, 15_000);
    expect(code).toBe(0);
    server = await serve(dataDir);
    expect(server.output()).not.toContain('released the holds');
    const after = await ledger();
    expect(after).toEqual(before);
    const wallet = (await admin<{ wallet: { balance_micros: number; locked_micros: number } }>('GET', `/admin/api/accounts/${accountId}`)).wallet;
    expect(wallet).toEqual(walletBefore);
    expect(wallet.locked_micros).toBe(0);
    expect((await admin('GET', '/admin/api/doctor')).ledger_ok).toBe(true);
    await killHard(server);
    server = undefined;
  }, 120_000);
});
