import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIError } from 'openai';
import type OpenAI from 'openai';
import { startMusicFake, type MusicFake } from '../support/fakes/music-jobs.js';
import { wavSeconds } from '../support/fakes/media-bytes.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { ledgerOf, pollJob, statusOrder, type JobView } from '../support/jobs.js';

// lyria-002 catalog price: 0.002 USD per second of audio.
const PER_SECOND = 2_000;
const STEP_MS = 70;

async function apiError(p: Promise<unknown>): Promise<APIError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

describe('music generation jobs on an OpenAI-compatible job server', () => {
  let fake: MusicFake;
  let gw: TestGateway;
  let client: OpenAI;

  const submit = (body: Record<string, unknown>) => client.post<JobView>('/music/generations', { body });

  beforeAll(async () => {
    fake = await startMusicFake({ stepMs: STEP_MS, models: ['lyria-002', 'lyria-busy'] });
    gw = await startTestGateway({ env: { OMIXA_JOB_POLL_MS: '25', OMIXA_JOB_POLL_MAX_MS: '100' } });
    await gw.admin('POST', '/admin/api/deployments', { name: 'music-main', provider: 'openai-compatible', model: 'lyria-002', modality: 'music', endpoint: fake.url, deployment: 'lyria-002', api_key: 'music-token-1', priority: 1 });
    await gw.topUp(5_000_000);
    client = gw.openai((await gw.createKey()).key);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('submits, reports progress over time, completes with the track and bills the reported seconds exactly', async () => {
    const before = await gw.wallet();
    const submittedAt = Date.now();
    const job = await submit({ model: 'lyria-002', prompt: 'An energetic electronic dance track', duration: 30, negative_prompt: 'vocals', lyrics: 'la la la' });
    expect(job).toMatchObject({ object: 'music.generation.job', status: 'queued', model: 'lyria-002', duration: 30, n: 1 });
    expect(job.id).toMatch(/^job_mus_[0-9A-Za-z]{22}$/);
    expect(job.resolution).toBeUndefined();
    // Held: 30 s × 0.002 USD.
    expect((await gw.wallet()).locked_micros - before.locked_micros).toBe(30 * PER_SECOND);
    const create = fake.requests.find((r) => r.method === 'POST')!;
    expect(create.path).toBe('/v1/music/generations');
    expect(create.headers.authorization).toBe('Bearer music-token-1');
    expect(create.body).toEqual({ model: 'lyria-002', prompt: 'An energetic electronic dance track', duration: 30, n: 1, negative_prompt: 'vocals', lyrics: 'la la la' });

    const { job: done, seen } = await pollJob(client, '/music/generations', job.id, { everyMs: 15 });
    // The submit answer is the first observation; polls see the rest as the upstream moves on.
    expect(statusOrder([{ status: job.status, at: submittedAt }, ...seen])).toEqual(['queued', 'in_progress', 'completed']);
    // Progress rises while it runs, in the upstream's own time.
    const progress = seen.filter((s) => s.status === 'in_progress' && s.progress !== undefined).map((s) => s.progress!);
    expect(progress.length).toBeGreaterThan(0);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(seen.find((s) => s.status === 'in_progress')!.at - submittedAt).toBeGreaterThanOrEqual(STEP_MS - 10);
    expect(seen.find((s) => s.status === 'completed')!.at - submittedAt).toBeGreaterThanOrEqual(STEP_MS * 4);

    expect(done).toMatchObject({ status: 'completed', duration: 30 });
    expect(done.audio_url).toMatch(new RegExp(`^${gw.url}/files/file_`));
    expect(done.audio_urls).toEqual([done.audio_url]);
    // The relative audio_url was resolved against the base and fetched with the token.
    const download = fake.requests.find((r) => r.path.startsWith('/v1/music/files/'))!;
    expect(download.headers.authorization).toBe('Bearer music-token-1');
    const original = fake.audio.get(download.path.match(/files\/(\w+)\.wav$/)![1]!)!;
    const res = await fetch(done.audio_url);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(original)).toBe(true);
    expect(wavSeconds(bytes)).toBe(30);
    const range = await fetch(done.audio_url, { headers: { range: 'bytes=-44' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(original.subarray(original.length - 44))).toBe(true);

    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(30 * PER_SECOND);
    expect(after.locked_micros).toBe(before.locked_micros);
    expect((await ledgerOf(gw, job.request_id)).map((r) => [r.type, r.amount_micros])).toEqual([['hold', 60_000], ['capture', 60_000]]);
    expect(await gw.admin('GET', `/admin/api/usage/requests/${job.request_id}`)).toMatchObject({ endpoint: 'music.generations', status: 'ok', cost_micros: 60_000, usage_source: 'upstream' });
  });

  it('captures shorter tracks than asked for at their real length, longer ones beyond the hold, n tracks each', async () => {
    fake.setOptions({ plan: (body) => (body.prompt === 'short' ? { reportedSeconds: 12 } : body.prompt === 'long' ? { reportedSeconds: 35 } : undefined) });
    const before = await gw.wallet();
    const short = await submit({ model: 'lyria-002', prompt: 'short', duration: 20, n: 2 });
    const long = await submit({ model: 'lyria-002', prompt: 'long', duration: 30 });
    expect((await gw.wallet()).locked_micros - before.locked_micros).toBe((2 * 20 + 30) * PER_SECOND);
    const shortDone = (await pollJob(client, '/music/generations', short.id)).job;
    const longDone = (await pollJob(client, '/music/generations', long.id)).job;
    expect(shortDone.audio_urls).toHaveLength(2);
    expect([shortDone.duration, longDone.duration]).toEqual([12, 35]);
    expect((await ledgerOf(gw, short.request_id)).map((r) => [r.type, r.amount_micros])).toEqual([['hold', 80_000], ['capture', 48_000], ['release', 32_000]]);
    // 35 s cost more than the 30 s held: the capture takes the hold and the difference from the available balance.
    expect((await ledgerOf(gw, long.request_id)).map((r) => [r.type, r.amount_micros])).toEqual([['hold', 60_000], ['capture', 70_000]]);
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe((2 * 12 + 35) * PER_SECOND);
    expect(after.locked_micros).toBe(before.locked_micros);
    fake.setOptions({ plan: undefined });
  });

  it('fails with the upstream\'s message and cancels through the upstream, releasing the holds', async () => {
    fake.setOptions({ plan: (body) => (body.prompt === 'doomed' ? { fail: 'Prompt rejected by the music safety filter.' } : body.prompt.startsWith('endless') ? { stepMs: 10_000 } : undefined) });
    const before = await gw.wallet();
    const doomed = await submit({ model: 'lyria-002', prompt: 'doomed', duration: 10 });
    const { job: failed } = await pollJob(client, '/music/generations', doomed.id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'generation_failed', message: 'The upstream failed: Prompt rejected by the music safety filter.' } });

    const a = await submit({ model: 'lyria-002', prompt: 'endless a', duration: 10 });
    const b = await submit({ model: 'lyria-002', prompt: 'endless b', duration: 10 });
    expect(await client.post<JobView>(`/music/generations/${a.id}/cancel`)).toMatchObject({ status: 'cancelled' });
    expect(await client.delete<JobView>(`/music/generations/${b.id}`)).toMatchObject({ status: 'cancelled' });
    const cancels = fake.requests.filter((r) => r.path.endsWith('/cancel'));
    expect(cancels).toHaveLength(2);
    expect(cancels.every((r) => r.method === 'POST' && r.headers.authorization === 'Bearer music-token-1')).toBe(true);
    expect(await gw.wallet()).toEqual(before);
    for (const id of [doomed.request_id, a.request_id, b.request_id]) expect((await ledgerOf(gw, id)).map((r) => r.type)).toEqual(['hold', 'release']);
    fake.setOptions({ plan: undefined });
  });

  it('keeps music jobs to their account and refuses bad requests naming the field', async () => {
    const job = await submit({ model: 'lyria-002', prompt: 'private', duration: 5 });
    await gw.admin('POST', '/admin/api/accounts', { name: 'band' });
    const other = gw.openai((await gw.createKey({ account: 'band' })).key);
    expect((await apiError(other.get(`/music/generations/${job.id}`))).status).toBe(404);
    expect((await apiError(client.get(`/videos/generations/${job.id}`))).status).toBe(404);
    expect((await apiError(client.get('/music/generations/job_mus_doesnotexist'))).error).toMatchObject({ code: 'not_found' });
    for (const [body, param] of [[{ model: 'lyria-002', prompt: 'x', duration: 601 }, 'duration'], [{ model: 'lyria-002' }, 'prompt'], [{ model: 'lyria-002', prompt: 'x', lyrics: 42 }, 'lyrics'], [{ model: 'sora-2', prompt: 'x' }, 'model']] as const) {
      const err = await apiError(submit(body));
      expect(err.error, JSON.stringify(body)).toMatchObject({ param });
    }
    await pollJob(client, '/music/generations', job.id);
  });

  it('fails over to the next deployment when one is overloaded, and answers 502 (nothing held) when all are', async () => {
    await gw.admin('POST', '/admin/api/deployments', { name: 'music-busy', provider: 'openai-compatible', model: 'lyria-002', modality: 'music', endpoint: fake.url, deployment: 'lyria-busy', api_key: 'music-token-1', priority: 0 });
    fake.setOptions({ plan: (body) => (body.model === 'lyria-busy' || body.prompt === 'nobody' ? { status: 503 } : undefined) });
    const job = await submit({ model: 'lyria-002', prompt: 'failover', duration: 5 });
    const creates = fake.requests.filter((r) => r.method === 'POST' && r.body?.prompt === 'failover');
    expect(creates.map((r) => r.body.model)).toEqual(['lyria-busy', 'lyria-002']);
    const admin = await gw.admin('GET', `/admin/api/jobs/${job.id}`);
    expect(admin).toMatchObject({ deployment_name: 'music-main', stored_status: expect.stringMatching(/queued|in_progress|completed/) });
    expect((await pollJob(client, '/music/generations', job.id)).job.status).toBe('completed');

    const before = await gw.wallet();
    const err = await apiError(submit({ model: 'lyria-002', prompt: 'nobody', duration: 5 }));
    expect([err.status, err.error]).toEqual([502, expect.objectContaining({ code: 'upstream_error' })]);
    expect(await gw.wallet()).toEqual(before);
    const failedJobs = await gw.admin('GET', '/admin/api/jobs?kind=music&status=failed&limit=1');
    expect(failedJobs.data[0]).toMatchObject({ status: 'failed', error: { code: 'upstream_error' }, hold_micros: 10_000, cost_micros: 0 });
    expect(await gw.admin('GET', `/admin/api/usage/requests/${failedJobs.data[0].request_id}`)).toMatchObject({ status: 'error', http_status: 502, error_code: 'upstream_error' });
    fake.setOptions({ plan: undefined });
  });
});
