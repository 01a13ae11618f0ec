/**
 * The `omixa` CLI (API.md §9) as users run it: `node bin/omixa.mjs … --data-dir <tmp>` in a child process, with the
 * file vault. Each spawn costs about a second of CPU, so independent commands run concurrently: the scenarios below
 * are concurrent tests, and within each one the commands that do not depend on each other are started together.
 * Commands that write the vault file are never run concurrently on one data dir (the file vault is last-writer-wins
 * across processes).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureFake, type AzureFake } from '../support/fakes/azure-openai.js';
import { startTestGateway, tempDataDir, type TestGateway } from '../support/gateway.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'omixa.mjs');
const SPAWN_TIMEOUT_MS = 120_000;
const SCENARIO_TIMEOUT_MS = 240_000;

/** The fake's accepted secret, and one it refuses: both long enough to get a 4-character hint. */
const GOOD_SECRET = 'azure-secret-1';
const BAD_SECRET = 'wrong-azure-secret-9f3c';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user with only the file vault chosen: no OMIXA_* settings leak in from the test runner. */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('OMIXA_')) env[name] = value;
  return { ...env, OMIXA_SECRET_BACKEND: 'file' };
}

/** Runs `omixa <args> --data-dir <dataDir>`; resolves with its exit code and output. */
function omixa(dataDir: string, args: string[], options: { stdin?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], { cwd: ROOT, env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`omixa ${args.join(' ')} did not finish in ${SPAWN_TIMEOUT_MS} ms\n${stdout}\n${stderr}`));
    }, SPAWN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin);
  });
}

/** Runs a command that must succeed; returns its stdout. */
async function ok(dataDir: string, args: string[], options?: { stdin?: string }): Promise<string> {
  const result = await omixa(dataDir, args, options);
  if (result.code !== 0) throw new Error(`omixa ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result.stdout;
}

/** Runs a command that must succeed and print JSON. */
async function okJson<T = any>(dataDir: string, args: string[], options?: { stdin?: string }): Promise<T> {
  return JSON.parse(await ok(dataDir, [...args, '--json'], options)) as T;
}

/** A failure as the contract wants it: non-zero exit, nothing on stdout, exactly one line on stderr. */
function expectOneLineFailure(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.code).not.toBeNull();
  expect(result.stdout).toBe('');
  const lines = result.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** The bytes of a file, or none when it vanished meanwhile (a WAL file another command's close just removed). */
function bytesOf(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
}

/** Polls `check` until it returns true; resolves with the time it took, or rejects after `withinMs`. */
async function visibleWithin(withinMs: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > withinMs) throw new Error(`${what}: not visible through the HTTP API within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('omixa CLI', () => {
  let fake: AzureFake;
  let dataDir: string;
  let scratch: string;
  /** `accounts create alice --json`, run first: it also creates the data dir, so later commands can run concurrently. */
  let alice: { code: number | null; account: { id: string; name: string } };

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-cli-'));
    dataDir = path.join(scratch, 'data');
    [fake] = await Promise.all([
      startAzureFake({ chunkDelayMs: 1 }),
      omixa(dataDir, ['accounts', 'create', 'alice', '--json']).then((r) => {
        alice = { code: r.code, account: r.code === 0 ? JSON.parse(r.stdout) : { id: '', name: r.stderr } };
      }),
    ]);
  }, SCENARIO_TIMEOUT_MS);

  afterAll(async () => {
    await fake?.close();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it.concurrent('accounts create / list, wallet top-up / show, and their one-line failures', { timeout: SCENARIO_TIMEOUT_MS }, async ({ expect }) => {
    expect(alice.code).toBe(0);
    expect(alice.account).toMatchObject({ id: expect.stringMatching(/^acct_/), name: 'alice' });

    const [list, topUp, unknownAccount, badAmount, zero, belowAMicro, rounded] = await Promise.all([
      okJson<{ id: string; name: string }[]>(dataDir, ['accounts', 'list']),
      okJson(dataDir, ['wallet', 'top-up', '--account', 'alice', '--amount', '12.5']),
      omixa(dataDir, ['wallet', 'top-up', '--account', 'nobody', '--amount', '1']),
      omixa(dataDir, ['wallet', 'top-up', '--account', 'alice', '--amount', '1,5']),
      omixa(dataDir, ['wallet', 'top-up', '--account', 'alice', '--amount', '0']),
      omixa(dataDir, ['wallet', 'top-up', '--account', 'alice', '--amount', '0.0000004']),
      // On `default`: alice's balance is checked below.
      ok(dataDir, ['wallet', 'top-up', '--account', 'default', '--amount', '1.1234567']),
    ]);
    // The first start created `default`; names are unique, ids are stable.
    expect(list.map((a) => a.name).sort()).toEqual(['alice', 'default']);
    expect(list.find((a) => a.name === 'alice')!.id).toBe(alice.account.id);
    expect(topUp).toMatchObject({ account: alice.account.id, balanceMicros: 12_500_000, lockedMicros: 0 });
    expectOneLineFailure(unknownAccount, /nobody/);
    expectOneLineFailure(badAmount, /1,5/);
    // --amount is in USD, and so are its errors.
    expectOneLineFailure(zero, /^omixa: --amount must be more than 0 USD$/);
    expectOneLineFailure(belowAMicro, /^omixa: --amount 0\.0000004 rounds to 0 USD; the smallest top-up is 0\.000001 USD$/);
    for (const failure of [zero, belowAMicro]) expect(failure.stderr).not.toMatch(/micro-USD|amount_micros/);
    // Wallets count micro-USD: what is printed is what was credited, and the rounding is said.
    expect(rounded.trim()).toMatch(/^topped up default by \$1\.123457 \(1\.1234567 rounded to the micro-dollar\); balance \$\d+\.\d{6}$/);

    // By id as well as by name; the failed calls moved nothing.
    const shown = await okJson(dataDir, ['wallet', 'show', '--account', alice.account.id]);
    expect(shown).toEqual({ account: alice.account.id, name: 'alice', currency: 'USD', balance_micros: 12_500_000, locked_micros: 0, available_micros: 12_500_000 });
  });

  it.concurrent('keys create prints the key once; list shows only a prefix; revoke', { timeout: SCENARIO_TIMEOUT_MS }, async ({ expect }) => {
    const created = await ok(dataDir, ['keys', 'create', '--name', 'ci', '--account', 'alice', '--rpm', '60', '--models', 'gpt-4o-mini,my-custom-model']);
    const keys = created.match(/omx_live_[0-9A-Za-z]+/g) ?? [];
    expect(keys).toHaveLength(1); // printed once
    const key = keys[0]!;
    expect(key).toMatch(/^omx_live_[0-9A-Za-z]{32}$/);
    const id = /\bkey_[0-9A-Za-z]+/.exec(created)?.[0];
    expect(id).toBeDefined();

    await ok(dataDir, ['keys', 'revoke', id!]);
    const listed = await okJson<any[]>(dataDir, ['keys', 'list']);
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(JSON.stringify(listed)).not.toContain(key.slice(-12));
    const record = listed.find((k) => k.id === id);
    expect(record).toMatchObject({ name: 'ci', rpm: 60, models: ['gpt-4o-mini', 'my-custom-model'], revokedAt: expect.any(Number) });
    expect(key.startsWith(record.prefix)).toBe(true);
    expect(record.prefix.length).toBeLessThanOrEqual(16);
    expect(record).not.toHaveProperty('key');
    expect(record).not.toHaveProperty('keyHash');
  });

  it.concurrent(
    'deployments add (API_KEY from stdin, unpriced model) / list / test / remove, models set-price, doctor, backup; the secret never lands in a file',
    { timeout: SCENARIO_TIMEOUT_MS },
    async ({ expect }) => {
      // API_KEY "-": read from stdin. The model is not in the catalog: added unpriced, and the CLI says so.
      const added = await ok(dataDir, ['deployments', 'add', 'my-custom-model', 'd-ok', fake.url, 'gpt-4o-mini', '-', '--rpm', '100', '--weight', '2'], { stdin: `${GOOD_SECRET}\n` });
      expect(added).toMatch(/added deployment d-ok/);
      expect(added).toMatch(/not in the catalog.*unpriced/);
      expect(added).not.toContain(GOOD_SECRET);

      const [addedBad, duplicate, priced, wrongModality] = await Promise.all([
        ok(dataDir, ['deployments', 'add', 'gpt-4o-mini', 'd-bad', fake.url, 'gpt-4o-mini', BAD_SECRET, '--priority', '1']),
        omixa(dataDir, ['deployments', 'add', 'gpt-4o-mini', 'd-ok', fake.url, 'gpt-4o-mini', 'another-secret-1234']),
        okJson(dataDir, ['models', 'set-price', 'my-custom-model', '--input', '0.5', '--cached-input', '0.25', '--output', '1.5']),
        // A catalog model keeps its modality: another one is refused, not silently ignored.
        omixa(dataDir, ['deployments', 'add', 'gpt-4o-mini', 'd-image', fake.url, 'gpt-4o-mini', 'another-secret-1234', '--modality', 'image']),
      ]);
      expectOneLineFailure(wrongModality, /the catalog lists "gpt-4o-mini" as chat, not image/);
      expect(addedBad).not.toMatch(/unpriced/); // gpt-4o-mini is in the catalog
      expect(addedBad).not.toContain(BAD_SECRET);
      expectOneLineFailure(duplicate, /d-ok.*already exists/);
      expect(priced).toMatchObject({ id: 'my-custom-model', priced: true, price: { inputPerMtokMicros: 500_000, cachedInputPerMtokMicros: 250_000, outputPerMtokMicros: 1_500_000 } });

      const [listed, tested, failed] = await Promise.all([
        okJson<any[]>(dataDir, ['deployments', 'list']),
        ok(dataDir, ['deployments', 'test', 'd-ok']),
        omixa(dataDir, ['deployments', 'test', 'd-bad']),
      ]);
      const byName = Object.fromEntries(listed.map((d) => [d.name, d]));
      expect(Object.keys(byName).sort()).toEqual(['d-bad', 'd-ok']);
      expect(byName['d-ok']).toMatchObject({ provider: 'azure', model: 'my-custom-model', deployment: 'gpt-4o-mini', endpoint: fake.url, rpm: 100, weight: 2, enabled: true, secret: `••••${GOOD_SECRET.slice(-4)}` });
      expect(byName['d-bad']).toMatchObject({ model: 'gpt-4o-mini', priority: 1, secret: `••••${BAD_SECRET.slice(-4)}` });
      expect(JSON.stringify(listed)).not.toContain(GOOD_SECRET);
      expect(JSON.stringify(listed)).not.toContain(BAD_SECRET);
      // A real call: ok with its latency; the failure carries the upstream's own error and exits non-zero.
      expect(tested.trim()).toMatch(/^ok: d-ok answered in \d+ ms$/);
      expectOneLineFailure(failed, /d-bad failed: HTTP 401\b.*Access denied due to invalid subscription key/);
      // Each probe carried its own deployment's secret: the one read from stdin, and the one given as an argument.
      expect(fake.requests.map((r) => r.headers['api-key']).sort()).toEqual([BAD_SECRET, GOOD_SECRET].sort());

      // doctor with a failing deployment: the report on stdout, one line on stderr saying what failed, exit non-zero.
      const sick = await omixa(dataDir, ['doctor']);
      expect(sick.code).toBe(1);
      expect(sick.stdout).toMatch(/^FAIL\s+deployment d-bad: HTTP 401\b/m);
      expect(sick.stdout).toMatch(/^ok\s+deployment d-ok\b/m);
      expect(sick.stderr.trim().split('\n')).toEqual(['omixa: doctor: 1 of 5 checks failed: deployment d-bad']);

      const backupFile = path.join(scratch, 'backup.db');
      const [removed, backedUp] = await Promise.all([ok(dataDir, ['deployments', 'remove', 'd-bad']), ok(dataDir, ['backup', backupFile])]);
      expect(removed).toMatch(/removed deployment d-bad/);
      expect(backedUp).toContain(backupFile);

      // A readable SQLite copy with the rows, and no secrets in it.
      const copy = new Database(backupFile, { readonly: true, fileMustExist: true });
      try {
        expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
        const names = copy.prepare<[], { name: string }>('SELECT name FROM accounts ORDER BY name').all().map((r) => r.name);
        expect(names).toEqual(expect.arrayContaining(['alice', 'default']));
        expect(copy.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM deployments WHERE name = 'd-ok'").get()!.n).toBe(1);
      } finally {
        copy.close();
      }
      // Everything healthy now: the database, the ledger, the vault and d-ok.
      const doctor = await omixa(dataDir, ['doctor']);
      expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
      expect(doctor.stdout).toMatch(/ok\s+database/);
      expect(doctor.stdout).toMatch(/ok\s+ledger/);
      expect(doctor.stdout).toMatch(/ok\s+vault: file backend/);
      expect(doctor.stdout).toMatch(/ok\s+deployment d-ok: answered in \d+ ms/);
      expect(doctor.stdout).not.toMatch(/d-bad/);

      // The secrets, in plain text, in no file of the data dir (db, WAL, vault, key file…) nor in the backup.
      const files = [...filesUnder(dataDir), backupFile];
      expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['omixa.db', 'vault.json']));
      for (const file of files) {
        const content = bytesOf(file);
        for (const secret of [GOOD_SECRET, BAD_SECRET]) {
          expect(content.includes(Buffer.from(secret)), `${secret} in ${file}`).toBe(false);
          expect(content.includes(Buffer.from(secret, 'utf16le')), `${secret} (UTF-16) in ${file}`).toBe(false);
        }
      }
      // The removed deployment's secret left the vault too (entry names are stored in clear).
      expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'vault.json'), 'utf8')).entries).not.toHaveProperty('deployment:d-bad');
    },
  );

  it.concurrent('CLI changes reach a running server within 1 s', { timeout: SCENARIO_TIMEOUT_MS }, async ({ expect }) => {
    const serverDir = tempDataDir();
    let gw: TestGateway | undefined;
    // Its own upstream, so the requests it records are this scenario's only.
    const upstream = await startAzureFake({ chunkDelayMs: 1, deployments: ['gpt-4o-mini', 'text-embedding-3-small'] });
    try {
      gw = await startTestGateway({ dataDir: serverDir });
      const url = gw.url;
      const asKey = (key: string, urlPath: string) => fetch(`${url}${urlPath}`, { headers: { authorization: `Bearer ${key}` } });
      const asAdmin = (token: string) => fetch(`${url}/admin/api/overview`, { headers: { authorization: `Bearer ${token}` } });

      // A key made through the admin API, to watch the default account's models and wallet.
      const watcher = (await gw.createKey({ name: 'watcher' })).key;

      // Round 1, all while the server runs: a key, a deployment (secret on stdin), a top-up, the admin token. Each
      // change is polled for from the moment its own command exits.
      let key = '';
      let keyId = '';
      const [adminToken] = await Promise.all([
        ok(serverDir, ['admin-token']),
        ok(serverDir, ['keys', 'create', '--name', 'live']).then((created) => {
          key = /omx_live_[0-9A-Za-z]+/.exec(created)![0];
          keyId = /\bkey_[0-9A-Za-z]+/.exec(created)![0];
          return visibleWithin(1_000, 'new key', async () => (await asKey(key, '/v1/wallet')).status === 200);
        }),
        ok(serverDir, ['deployments', 'add', 'gpt-4o-mini', 'live-dep', upstream.url, 'gpt-4o-mini', '-'], { stdin: GOOD_SECRET }).then(() =>
          visibleWithin(1_000, 'new deployment', async () => {
            const res = await asKey(watcher, '/v1/models');
            return res.ok && ((await res.json()) as { data: { id: string }[] }).data.some((m) => m.id === 'gpt-4o-mini');
          }),
        ),
        ok(serverDir, ['wallet', 'top-up', '--account', 'default', '--amount', '2.5']).then(() =>
          visibleWithin(1_000, 'top-up', async () => ((await (await asKey(watcher, '/v1/wallet')).json()) as { balance_micros: number }).balance_micros === 2_500_000),
        ),
      ]);
      // The admin token is stable: the CLI prints the one the server created at its first start.
      expect(adminToken.trim()).toBe(gw.adminToken);
      // The deployment's secret reached the server through the vault: a real call goes through.
      const completion = await gw.openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
      expect(completion.choices[0]!.message.content).toBe('Echo: hi');
      expect(upstream.requests.at(-1)!.headers['api-key']).toBe(GOOD_SECRET);

      // A model the catalog does not know, added with --modality embedding: served on /v1/embeddings, not as chat.
      const addedEmbedder = await ok(serverDir, ['deployments', 'add', 'my-embedder', 'emb-live', upstream.url, 'text-embedding-3-small', '-', '--modality', 'embedding'], { stdin: GOOD_SECRET });
      expect(addedEmbedder).toMatch(/my-embedder is not in the catalog; added unpriced \(cost 0\) with modality embedding/);
      await visibleWithin(1_000, 'new embedding deployment', async () => {
        const res = await asKey(watcher, '/v1/models');
        return res.ok && ((await res.json()) as { data: { id: string; modality: string }[] }).data.some((m) => m.id === 'my-embedder' && m.modality === 'embedding');
      });
      const embedding = await gw.openai(watcher).embeddings.create({ model: 'my-embedder', input: 'hello' });
      expect(embedding.data[0]!.embedding.length).toBeGreaterThan(0);

      // Round 2: revoke the key and rotate the admin token.
      let newToken = '';
      await Promise.all([
        ok(serverDir, ['keys', 'revoke', keyId]).then(() => visibleWithin(1_000, 'revocation', async () => (await asKey(key, '/v1/models')).status === 401)),
        ok(serverDir, ['admin-token', '--rotate']).then((rotated) => {
          newToken = rotated.trim();
          return visibleWithin(1_000, 'rotated admin token', async () => (await asAdmin(newToken)).status === 200);
        }),
      ]);
      expect(newToken).toMatch(/^omx_admin_/);
      expect(newToken).not.toBe(gw.adminToken);
      expect((await asAdmin(gw.adminToken)).status).toBe(401);
      expect((await asKey(watcher, '/v1/models')).status).toBe(200); // only the revoked key is gone

      // Neither the deployment's secret nor an admin token is in plain text in any file the server and the CLI wrote.
      for (const file of filesUnder(serverDir)) {
        const content = bytesOf(file);
        for (const secret of [GOOD_SECRET, gw.adminToken, newToken]) expect(content.includes(Buffer.from(secret)), `a secret in ${file}`).toBe(false);
      }
    } finally {
      if (gw) await gw.close();
      else fs.rmSync(serverDir, { recursive: true, force: true });
      await upstream.close();
    }
  });
});
