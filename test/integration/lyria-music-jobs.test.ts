import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIError } from 'openai';
import type OpenAI from 'openai';
import { startLyriaFake, type LyriaFake } from '../support/fakes/lyria.js';
import { wavSeconds } from '../support/fakes/media-bytes.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { ledgerOf, type JobView } from '../support/jobs.js';

/**
 * Music on Google's Lyria 2 on Vertex AI: a synchronous predict call, so the job is settled at submit — the POST
 * answers the job already completed (or failed), its clips stored and its cost captured, with no poll.
 */

// lyria-002 catalog price: 0.002 USD per second of audio.
const PER_SECOND = 2_000;
const PREDICT_A = '/v1/projects/omixa-music/locations/us-central1/publishers/google/models/lyria-002:predict';
const PREDICT_B = '/v1/projects/omixa-music/locations/europe-west4/publishers/google/models/lyria-002:predict';

async function apiError(p: Promise<unknown>): Promise<APIError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

/** A service-account key JSON whose token endpoint is the fake's. */
function serviceAccount(fake: LyriaFake): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return JSON.stringify({ type: 'service_account', project_id: 'omixa-music', private_key_id: 'k1', private_key: privateKey, client_email: 'lyria@omixa-music.iam.gserviceaccount.com', token_uri: `${fake.url}/token` });
}

describe('music generation on Lyria (Vertex AI)', () => {
  let fake: LyriaFake;
  let gw: TestGateway;
  let client: OpenAI;

  const submit = (body: Record<string, unknown>) => client.post<JobView>('/music/generations', { body: { model: 'lyria-002', ...body } });
  const predicts = (prompt: string) => fake.requests.filter((r) => r.path.endsWith(':predict') && r.body?.instances?.[0]?.prompt === prompt);
  /** The newest failed music job, as the admin sees it. */
  const newestFailed = async () => (await gw.admin('GET', '/admin/api/jobs?kind=music&status=failed&limit=1')).data[0];

  beforeAll(async () => {
    fake = await startLyriaFake();
    gw = await startTestGateway();
    const key = serviceAccount(fake);
    // lyria-a is tried first; lyria-b (another region of the same project) only when lyria-a cannot serve.
    for (const [name, location, priority] of [['lyria-a', 'us-central1', 0], ['lyria-b', 'europe-west4', 1]] as const) {
      await gw.admin('POST', '/admin/api/deployments', { name, provider: 'vertex', model: 'lyria-002', modality: 'music', endpoint: fake.url, deployment: 'lyria-002', api_key: key, options: { project: 'omixa-music', location }, priority });
    }
    await gw.topUp(5_000_000);
    client = gw.openai((await gw.createKey()).key);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('answers the submit with the completed job, serves each WAV from the upstream and captures its seconds exactly', async () => {
    const before = await gw.wallet();
    const job = await submit({ prompt: 'An energetic electronic dance track', negative_prompt: 'vocals, slow tempo', n: 3 });
    expect(job).toMatchObject({ object: 'music.generation.job', status: 'completed', model: 'lyria-002', duration: 30, n: 3 });
    expect(job.id).toMatch(/^job_mus_[0-9A-Za-z]{22}$/);
    expect(job.audio_urls).toHaveLength(3);
    expect(job.audio_url).toBe(job.audio_urls[0]);
    expect(job.estimated_wait).toBeUndefined();

    // The mapped request, with a service-account access token, on the first deployment's project and region.
    const [call, ...others] = predicts('An energetic electronic dance track');
    expect(others).toHaveLength(0);
    expect(call!.path).toBe(PREDICT_A);
    expect(call!.body).toEqual({ instances: [{ prompt: 'An energetic electronic dance track', negative_prompt: 'vocals, slow tempo' }], parameters: { sample_count: 3 } });
    expect(call!.headers.authorization).toMatch(/^Bearer ya29\.fake-[0-9a-f]{24}$/);
    expect(fake.tokens).toContain(String(call!.headers.authorization).slice('Bearer '.length));

    // Three 30 s clips of 48 kHz stereo: over 16 MiB of base64 in one answer.
    const served = fake.clips.slice(-3);
    for (const [i, url] of job.audio_urls.entries()) {
      expect(url).toMatch(new RegExp(`^${gw.url}/files/file_`));
      const res = await fetch(url);
      expect(res.headers.get('content-type')).toBe('audio/wav');
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.equals(served[i]!)).toBe(true);
      expect(wavSeconds(bytes)).toBe(30);
    }

    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(3 * 30 * PER_SECOND);
    expect(after.locked_micros).toBe(before.locked_micros);
    expect((await ledgerOf(gw, job.request_id)).map((r) => [r.type, r.amount_micros])).toEqual([['hold', 180_000], ['capture', 180_000]]);
    expect(await gw.admin('GET', `/admin/api/usage/requests/${job.request_id}`)).toMatchObject({ endpoint: 'music.generations', status: 'ok', cost_micros: 180_000, usage_source: 'upstream', attempts: 1, deployment_name: 'lyria-a' });
    expect(await gw.admin('GET', `/admin/api/jobs/${job.id}`)).toMatchObject({ stored_status: 'completed', deployment_name: 'lyria-a', upstream_status: 'predicted', cost_micros: 180_000, next_poll_at: null, attempts: 0 });

    // Reading it later answers the same finished job; there is nothing left to cancel.
    expect(await client.get<JobView>(`/music/generations/${job.id}`)).toMatchObject({ status: 'completed', audio_urls: job.audio_urls });
    const refused = await apiError(client.delete(`/music/generations/${job.id}`));
    expect([refused.status, refused.error]).toEqual([400, expect.objectContaining({ message: 'The job is already completed.' })]);
  });

  it('bills clips at the length their WAV header states, read under the reference\'s `audioContent` name too', async () => {
    fake.setOptions({ plan: (body) => (body.instances[0].prompt === 'long clip' ? { seconds: 32.8, audioContent: true } : undefined) });
    const before = await gw.wallet();
    const job = await submit({ prompt: 'long clip' });
    expect(job).toMatchObject({ status: 'completed', duration: 32.8, n: 1 });
    expect(wavSeconds(Buffer.from(await (await fetch(job.audio_url)).arrayBuffer()))).toBe(32.8);
    // Held for the 30 s asked for; captured for the 32.8 s delivered (the difference from the available balance).
    expect((await ledgerOf(gw, job.request_id)).map((r) => [r.type, r.amount_micros])).toEqual([['hold', 60_000], ['capture', 65_600]]);
    expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(65_600);
    fake.setOptions({ plan: undefined });
  });

  it('refuses a duration other than 30 s and lyrics with a 400 naming the field, calling nothing and keeping nothing', async () => {
    const before = await gw.wallet();
    for (const [body, param] of [[{ prompt: 'ten seconds', duration: 10 }, 'duration'], [{ prompt: 'with words', lyrics: 'la la la' }, 'lyrics']] as const) {
      const err = await apiError(submit(body));
      expect([err.status, err.error]).toEqual([400, expect.objectContaining({ code: 'invalid_request', param })]);
      expect(predicts(body.prompt)).toHaveLength(0);
    }
    expect(await gw.wallet()).toEqual(before);
  });

  it('fails the job with Google\'s message on a 400 about the prompt, releasing the hold and trying no other deployment', async () => {
    const message = 'The prompt could not be submitted. It may name a recording artist. Try rephrasing the prompt.';
    fake.setOptions({ plan: (body) => (body.instances[0].prompt === 'in the style of a famous band' ? { status: 400, message } : undefined) });
    const before = await gw.wallet();
    const err = await apiError(submit({ prompt: 'in the style of a famous band' }));
    expect([err.status, err.error]).toEqual([400, expect.objectContaining({ code: 'invalid_request', message: `The upstream rejected the request: ${message}` })]);
    expect(predicts('in the style of a famous band').map((r) => r.path)).toEqual([PREDICT_A]);

    const job = await newestFailed();
    expect(job).toMatchObject({ prompt: 'in the style of a famous band', status: 'failed', error: { code: 'invalid_request', message: `The upstream rejected the request: ${message}` }, cost_micros: 0 });
    expect((await ledgerOf(gw, job.request_id)).map((r) => [r.type, r.amount_micros])).toEqual([['hold', 60_000], ['release', 60_000]]);
    expect(await gw.wallet()).toEqual(before);
    fake.setOptions({ plan: undefined });
  });

  it('answers a job whose every clip the safety filter withheld as failed, releasing the hold', async () => {
    fake.setOptions({ plan: (body) => (body.instances[0].prompt === 'filtered' ? { filtered: true } : undefined) });
    const before = await gw.wallet();
    const job = await submit({ prompt: 'filtered', n: 2 });
    expect(job).toMatchObject({ status: 'failed', error: { code: 'generation_failed', message: expect.stringContaining('content filter blocked the music') } });
    expect(job.audio_url).toBeUndefined();
    expect((await ledgerOf(gw, job.request_id)).map((r) => r.type)).toEqual(['hold', 'release']);
    expect(await gw.wallet()).toEqual(before);
    fake.setOptions({ plan: undefined });
  });

  it('refuses to cancel a job while its predict call is out, then completes it', async () => {
    fake.setOptions({ plan: (body) => (body.instances[0].prompt === 'slow' ? { delayMs: 600 } : undefined) });
    const pending = submit({ prompt: 'slow' });
    let listed: JobView | undefined;
    for (let i = 0; i < 100 && !listed; i++) {
      listed = (await client.get<{ data: JobView[] }>('/music/generations')).data.find((j) => j.prompt === 'slow');
      if (!listed) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(listed).toMatchObject({ status: 'queued' });
    const refused = await apiError(client.post(`/music/generations/${listed!.id}/cancel`));
    expect([refused.status, refused.error]).toEqual([400, expect.objectContaining({ message: 'The job is still being submitted.' })]);
    expect(await pending).toMatchObject({ id: listed!.id, status: 'completed' });
    fake.setOptions({ plan: undefined });
  });

  it('fails over to the next deployment when the first answers 429, and bills once', async () => {
    fake.setOptions({ plan: (_body, location) => (location === 'us-central1' ? { status: 429, message: 'Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute.', headers: { 'retry-after': '5' } } : undefined) });
    const before = await gw.wallet();
    const job = await submit({ prompt: 'busy region' });
    expect(job).toMatchObject({ status: 'completed', duration: 30 });
    expect(predicts('busy region').map((r) => r.path)).toEqual([PREDICT_A, PREDICT_B]);
    expect(await gw.admin('GET', `/admin/api/usage/requests/${job.request_id}`)).toMatchObject({ status: 'ok', attempts: 2, deployment_name: 'lyria-b', cost_micros: 60_000 });
    expect((await gw.admin('GET', '/admin/api/deployments/lyria-a')).health).toMatchObject({ last_error: 'HTTP 429: Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute.' });
    expect((await ledgerOf(gw, job.request_id)).map((r) => [r.type, r.amount_micros])).toEqual([['hold', 60_000], ['capture', 60_000]]);
    expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(60_000);
    fake.setOptions({ plan: undefined });
  });
});
