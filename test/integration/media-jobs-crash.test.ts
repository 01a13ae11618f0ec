import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureVideoFake, type AzureVideoFake } from '../support/fakes/azure-video.js';
import { children, cli, killHard, serve, withTimeout, type OmixaServer } from '../support/omixa-process.js';
import { pollJob, statusOrder, type JobView } from '../support/jobs.js';

/**
 * Media jobs survive the gateway process dying: a job running upstream when `omixa serve` is SIGKILLed keeps its hold
 * on disk; the next start resumes polling it, stores its video and captures its cost exactly once. A job whose create
 * call was still waiting for the upstream's answer is failed at the next start and its hold released.
 */

const SORA_PER_SECOND = 100_000;
const TOP_UP = 10_000_000;
/** Each status step of a job takes this long upstream: a job runs five steps (10 s), long enough to kill and restart the gateway in it. */
// Long enough that the job is still running upstream after a SIGKILL and a restart on a busy machine.
const STEP_MS = 4_000;
const JOB_ENV = { OMIXA_JOB_POLL_MS: '50', OMIXA_JOB_POLL_MAX_MS: '150' };

describe('media jobs across a crash of the gateway process', () => {
  let dataDir: string;
  let fake: AzureVideoFake;
  let server: OmixaServer | undefined;
  let adminToken: string;
  let accountId: string;
  let client: OpenAI;
  let running: JobView;
  let stuckRequestId: string;
  // A file stored under the mid-submit job's request before the crash (a provider whose create answer is the media).
  const orphanId = 'file_OrphanOfACrashedSubmit';

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

  const ledger = async () => (await admin<{ data: { type: string; amount_micros: number; request_id: string | null }[] }>('GET', `/admin/api/accounts/${accountId}/transactions?limit=500`)).data;
  const wallet = async () => (await admin<{ wallet: { balance_micros: number; locked_micros: number } }>('GET', `/admin/api/accounts/${accountId}`)).wallet;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-jobs-crash-'));
    fake = await startAzureVideoFake({ stepMs: STEP_MS, plan: (body) => (body.prompt === 'stuck in create' ? { createDelayMs: 60_000 } : undefined) });
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await fake?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is SIGKILLed with one job running upstream and one waiting for its create answer: both holds stay locked on disk', async () => {
    server = await serve(dataDir, JOB_ENV);
    adminToken = (await cli(dataDir, ['admin-token'])).stdout.trim();
    accountId = (await admin<{ id: string }>('POST', '/admin/api/accounts', { name: 'studio' })).id;
    await admin('POST', '/admin/api/deployments', { name: 'sora-crash', model: 'sora-2', modality: 'video', endpoint: fake.url, deployment: 'sora', api_key: 'azure-secret-1' });
    await admin('POST', '/admin/api/accounts/studio/top-up', { amount_micros: TOP_UP });
    const key = (await admin<{ key: string }>('POST', '/admin/api/keys', { name: 'studio-key', account: 'studio' })).key;
    client = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 });

    running = await client.post<JobView>('/videos/generations', { body: { model: 'sora-2', prompt: 'survives a crash', duration: 4 } });
    expect(running.status).toBe('queued');
    // The runner is polling it.
    await expect.poll(() => fake.requests.filter((r) => r.method === 'GET' && r.path.includes('/jobs/')).length, { timeout: 5_000 }).toBeGreaterThan(0);

    // A second submit whose upstream create call hangs: the job exists (submitting) with its hold, no upstream id yet.
    const stuck = fetch(`${server.url}/v1/videos/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sora-2', prompt: 'stuck in create', duration: 2 }),
    }).catch(() => undefined);
    await expect.poll(() => fake.requests.some((r) => r.method === 'POST' && r.body?.prompt === 'stuck in create'), { timeout: 5_000 }).toBe(true);
    expect((await wallet()).locked_micros).toBe(6 * SORA_PER_SECOND);

    await killHard(server);
    server = undefined;
    await stuck;

    const db = new Database(path.join(dataDir, 'omixa.db'), { readonly: true, fileMustExist: true });
    try {
      const jobs = db.prepare('SELECT id, status, request_id, upstream_id, hold_micros FROM jobs ORDER BY seq').all() as { id: string; status: string; request_id: string; upstream_id: string | null; hold_micros: number }[];
      expect(jobs).toHaveLength(2);
      expect(jobs[0]).toMatchObject({ id: running.id, status: expect.stringMatching(/^(queued|in_progress)$/), hold_micros: 400_000 });
      expect(jobs[0]!.upstream_id).toMatch(/^task_/);
      expect(jobs[1]).toMatchObject({ status: 'submitting', upstream_id: null, hold_micros: 200_000 });
      stuckRequestId = jobs[1]!.request_id;
      const holds = db.prepare("SELECT id AS request_id, hold_micros AS amount_micros FROM requests WHERE status = 'pending' ORDER BY created_at").all();
      expect(holds).toEqual([{ request_id: running.request_id, amount_micros: 400_000 }, { request_id: stuckRequestId, amount_micros: 200_000 }]);
      const wallet = db.prepare('SELECT balance_micros, locked_micros FROM wallets WHERE account_id = ?').get(accountId);
      expect(wallet).toEqual({ balance_micros: TOP_UP, locked_micros: 600_000 });
      const pending = db.prepare("SELECT id FROM requests WHERE status = 'pending' ORDER BY seq").all();
      expect(pending).toEqual([{ id: running.request_id }, { id: stuckRequestId }]);
    } finally {
      db.close();
    }

    // Plant what a crash between storing a job's media and ending the job leaves behind.
    fs.writeFileSync(path.join(dataDir, 'media', orphanId), 'RIFF....WAVEfmt ');
    const writable = new Database(path.join(dataDir, 'omixa.db'), { fileMustExist: true });
    try {
      writable
        .prepare('INSERT INTO media_files (id, account_id, request_id, content_type, size_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(orphanId, accountId, stuckRequestId, 'audio/wav', 16, Date.now());
    } finally {
      writable.close();
    }
  }, 120_000);

  it('restarts: fails the job that never got an upstream id, resumes the running one and bills it exactly once', async () => {
    const upstreamJob = [...fake.jobs.values()].find((j) => j.body.prompt === 'survives a crash')!;
    server = await serve(dataDir, JOB_ENV);
    client = new OpenAI({ apiKey: client.apiKey, baseURL: `${server.url}/v1`, maxRetries: 0 });
    // Nothing of the jobs was released as a leftover; the mid-submit one is failed by the runner.
    await expect.poll(() => server!.output(), { timeout: 5_000 }).toContain('failed the media jobs a crash left mid-submit');
    expect(server.output()).not.toContain('released the holds of requests that never finished');

    const stuck = (await admin<{ data: JobView[] }>('GET', `/admin/api/jobs?account=studio&status=failed`)).data;
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toMatchObject({ request_id: stuckRequestId, error: { code: 'interrupted' }, hold_micros: 200_000, cost_micros: 0 });
    expect(await admin('GET', `/admin/api/usage/requests/${stuckRequestId}`)).toMatchObject({ status: 'error', error_code: 'interrupted', cost_micros: 0 });
    // The failed job owns no files: what it stored before the crash is removed, bytes and row.
    await expect.poll(() => fs.existsSync(path.join(dataDir, 'media', orphanId)), { timeout: 5_000 }).toBe(false);
    expect((await fetch(`${server.url}/files/${orphanId}`)).status).toBe(404);

    // The job was still running upstream when this gateway came up: the new process polls it through to the end.
    expect(upstreamJob.createdAt + 4 * STEP_MS).toBeGreaterThan(Date.now());
    const { job: done, seen } = await pollJob(client, '/videos/generations', running.id, { everyMs: 100, timeoutMs: 30_000 });
    expect(statusOrder(seen).slice(-2)).toEqual(['in_progress', 'completed']);
    expect(seen.find((s) => s.status === 'completed')!.at).toBeGreaterThanOrEqual(upstreamJob.createdAt + 4 * STEP_MS);
    expect(done).toMatchObject({ status: 'completed', duration: 4 });
    const video = Buffer.from(await (await fetch(done.video_url)).arrayBuffer());
    expect(video.equals(fake.videoOf(upstreamJob.generations[0]!.id)!)).toBe(true);

    const rows = await ledger();
    const mine = (id: string) => rows.filter((r) => r.request_id === id).map((r) => [r.type, r.amount_micros]).reverse();
    expect(mine(running.request_id)).toEqual([['hold', 400_000], ['capture', 400_000]]);
    expect(mine(stuckRequestId)).toEqual([['hold', 200_000], ['release', 200_000]]);
    expect(await wallet()).toMatchObject({ balance_micros: TOP_UP - 400_000, locked_micros: 0 });
    expect(await admin('GET', `/admin/api/usage/requests/${running.request_id}`)).toMatchObject({ status: 'ok', cost_micros: 400_000 });
    expect((await admin('GET', '/admin/api/doctor')).ledger_ok).toBe(true);
  }, 120_000);

  it('another crash and start after the job finished change no money and keep the media', async () => {
    const before = await ledger();
    const done = await client.get<JobView>(`/videos/generations/${running.id}`);
    await killHard(server!);
    server = await serve(dataDir, JOB_ENV);
    client = new OpenAI({ apiKey: client.apiKey, baseURL: `${server.url}/v1`, maxRetries: 0 });
    expect(server.output()).not.toContain('released the holds');
    expect(server.output()).not.toContain('mid-submit');
    expect(await ledger()).toEqual(before);
    const again = await client.get<JobView>(`/videos/generations/${running.id}`);
    expect(again.status).toBe('completed');
    const file = done.video_url.split('/files/')[1];
    expect((await fetch(`${server.url}/files/${file}`)).status).toBe(200);
    const stopped = server.child.kill('SIGTERM');
    expect(stopped).toBe(true);
    expect((await withTimeout('the gateway to stop on SIGTERM', server.exited, 15_000)).code).toBe(0);
    server = undefined;
  }, 120_000);
});
