import { afterEach, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { apiError } from '../support/api-errors.js';
import { startMusicFake, type MusicFake } from '../support/fakes/music-jobs.js';
import { startVeoFake, type VeoFake } from '../support/fakes/veo.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { ledgerOf, pollJob, type JobView } from '../support/jobs.js';

/**
 * A job submit fails over like every billed call: 429 (cooling down for Retry-After), 5xx, timeouts and bad
 * deployment credentials move on to the next deployment; 400-class answers are the client's and answered at once.
 */

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!();
});

/** A gateway with two music deployments of lyria-002 on one fake: `music-a` (tried first) then `music-b`. */
async function musicSetup(env: Record<string, string> = {}): Promise<{ gw: TestGateway; fake: MusicFake; client: OpenAI }> {
  const fake = await startMusicFake({ stepMs: 20, models: ['lyria-a', 'lyria-b'] });
  open.push(() => fake.close());
  const gw = await startTestGateway({ env: { OMIXA_JOB_POLL_MS: '25', OMIXA_JOB_POLL_MAX_MS: '100', ...env } });
  open.push(() => gw.close());
  for (const [name, upstream, priority] of [['music-a', 'lyria-a', 0], ['music-b', 'lyria-b', 1]] as const) {
    await gw.admin('POST', '/admin/api/deployments', { name, provider: 'openai-compatible', model: 'lyria-002', modality: 'music', endpoint: fake.url, deployment: upstream, api_key: 'music-token-1', priority });
  }
  await gw.topUp(5_000_000);
  return { gw, fake, client: gw.openai((await gw.createKey()).key) };
}

const submitMusic = (client: OpenAI, prompt: string) => client.post<JobView>('/music/generations', { body: { model: 'lyria-002', prompt, duration: 5 } });
const health = async (gw: TestGateway, name: string) => (await gw.admin('GET', `/admin/api/deployments/${name}`)).health;
const creates = (fake: MusicFake, prompt: string) => fake.requests.filter((r) => r.method === 'POST' && r.body?.prompt === prompt).map((r) => r.body.model);

/** The failed job of a refused submit (the newest), its usage row, and its ledger. */
async function failedSubmit(gw: TestGateway) {
  const job = (await gw.admin('GET', '/admin/api/jobs?kind=music&status=failed&limit=1')).data[0];
  const usage = await gw.admin('GET', `/admin/api/usage/requests/${job.request_id}`);
  return { job, usage, ledger: (await ledgerOf(gw, job.request_id)).map((r) => r.type) };
}

describe('job submit failover', () => {
  it('moves past a 429 to the next deployment, cools the first down for its Retry-After and bills once', async () => {
    const { gw, fake, client } = await musicSetup();
    fake.setOptions({ plan: (body) => (body.model === 'lyria-a' ? { status: 429, message: 'Rate limit reached.', headers: { 'retry-after': '7' } } : undefined) });
    const before = await gw.wallet();
    const job = await submitMusic(client, 'busy first');
    expect(job.status).toBe('queued');
    expect(creates(fake, 'busy first')).toEqual(['lyria-a', 'lyria-b']);
    expect(await gw.admin('GET', `/admin/api/jobs/${job.id}`)).toMatchObject({ deployment_name: 'music-b' });

    const a = await health(gw, 'music-a');
    expect(a.last_error).toBe('HTTP 429: Rate limit reached.');
    expect(a.cooling_until - Date.now()).toBeGreaterThan(5_000);
    expect(a.cooling_until - Date.now()).toBeLessThanOrEqual(7_000);
    expect((await health(gw, 'music-b')).consecutive_failures).toBe(0);

    // While music-a cools down, submits go straight to music-b.
    const next = await submitMusic(client, 'while cooling');
    expect(creates(fake, 'while cooling')).toEqual(['lyria-b']);

    for (const id of [job.id, next.id]) expect((await pollJob(client, '/music/generations', id)).job.status).toBe('completed');
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(2 * 5 * 2_000);
    expect(after.locked_micros).toBe(before.locked_micros);
    expect((await ledgerOf(gw, job.request_id)).map((r) => [r.type, r.amount_micros])).toEqual([['hold', 10_000], ['capture', 10_000]]);
  });

  it('answers a 400 from the upstream at once as the client\'s error, without trying the next deployment', async () => {
    const { gw, fake, client } = await musicSetup();
    fake.setOptions({ plan: (body) => (body.model === 'lyria-a' ? { status: 400, message: 'The prompt is too long for this model.' } : undefined) });
    const before = await gw.wallet();
    const err = await apiError(submitMusic(client, 'rejected'));
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ code: 'invalid_request', message: 'The upstream rejected the request: The prompt is too long for this model.' });
    expect(creates(fake, 'rejected')).toEqual(['lyria-a']);
    // The client's request, not the deployment's fault: nothing cools down.
    expect(await health(gw, 'music-a')).toMatchObject({ consecutive_failures: 0, cooling_until: null, in_flight: 0 });

    expect(await gw.wallet()).toEqual(before);
    const { job, usage, ledger } = await failedSubmit(gw);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'invalid_request' }, deployment_name: 'music-a', cost_micros: 0 });
    expect(usage).toMatchObject({ status: 'error', http_status: 400, error_code: 'invalid_request', attempts: 1, deployment_name: 'music-a' });
    expect(ledger).toEqual(['hold', 'release']);
  });

  it('fails over past a 2xx create answer without a job id, like a 5xx', async () => {
    const { gw, fake, client } = await musicSetup();
    fake.setOptions({ plan: (body) => (body.model === 'lyria-a' ? { noId: true } : undefined) });
    const job = await submitMusic(client, 'no id first');
    expect(creates(fake, 'no id first')).toEqual(['lyria-a', 'lyria-b']);
    expect(await gw.admin('GET', `/admin/api/jobs/${job.id}`)).toMatchObject({ deployment_name: 'music-b' });
    expect(await health(gw, 'music-a')).toMatchObject({ consecutive_failures: 1, in_flight: 0 });
    expect((await health(gw, 'music-a')).cooling_until).toBeGreaterThan(Date.now());
    expect((await pollJob(client, '/music/generations', job.id)).job.status).toBe('completed');
  });

  it('answers 504 upstream_timeout when every deployment times out, holding nothing', async () => {
    const { gw, fake, client } = await musicSetup({ OMIXA_UPSTREAM_TIMEOUT_MS: '300' });
    fake.setOptions({ plan: (body) => (body.prompt === 'too slow' ? { delayMs: 3_000 } : undefined) });
    const before = await gw.wallet();
    const err = await apiError(submitMusic(client, 'too slow'));
    expect([err.status, err.error]).toEqual([504, expect.objectContaining({ code: 'upstream_timeout' })]);
    expect(creates(fake, 'too slow')).toEqual(['lyria-a', 'lyria-b']);
    for (const name of ['music-a', 'music-b']) expect(await health(gw, name)).toMatchObject({ consecutive_failures: 1, last_error: 'timeout error', in_flight: 0 });

    expect(await gw.wallet()).toEqual(before);
    const { job, usage, ledger } = await failedSubmit(gw);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'upstream_timeout' }, deployment_name: 'music-b', cost_micros: 0 });
    expect(usage).toMatchObject({ status: 'error', http_status: 504, error_code: 'upstream_timeout', attempts: 2, deployment_name: 'music-b' });
    expect(ledger).toEqual(['hold', 'release']);
  });

  it('fails over past a Gemini deployment whose API key Google refuses with 400 API_KEY_INVALID', async () => {
    const veo: VeoFake = await startVeoFake({ durationMs: 50 });
    open.push(() => veo.close());
    const gw = await startTestGateway({ env: { OMIXA_JOB_POLL_MS: '25', OMIXA_JOB_POLL_MAX_MS: '100' } });
    open.push(() => gw.close());
    for (const [name, key, priority] of [['veo-bad-key', 'gemini-key-revoked', 0], ['veo-good', 'gemini-key-1', 1]] as const) {
      await gw.admin('POST', '/admin/api/deployments', { name, provider: 'gemini', model: 'veo-3.0-generate-001', modality: 'video', endpoint: veo.url, deployment: 'veo-3.0-generate-001', api_key: key, priority });
    }
    await gw.topUp(50_000_000);
    const client = gw.openai((await gw.createKey()).key);

    const job = await client.post<JobView>('/videos/generations', { body: { model: 'veo-3.0-generate-001', prompt: 'A quiet harbour', duration: 4 } });
    const tried = veo.requests.filter((r) => r.path.endsWith(':predictLongRunning')).map((r) => r.headers['x-goog-api-key']);
    expect(tried).toEqual(['gemini-key-revoked', 'gemini-key-1']);
    expect(await gw.admin('GET', `/admin/api/jobs/${job.id}`)).toMatchObject({ deployment_name: 'veo-good' });
    expect((await health(gw, 'veo-bad-key')).last_error).toContain('API key not valid');
    expect((await pollJob(client, '/videos/generations', job.id)).job.status).toBe('completed');
  });
});
