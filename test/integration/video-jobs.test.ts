import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { apiError } from '../support/api-errors.js';
import { startAzureVideoFake, type AzureVideoFake } from '../support/fakes/azure-video.js';
import { startVeoFake, type VeoFake } from '../support/fakes/veo.js';
import { makePng } from '../support/fakes/media-bytes.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { ledgerOf, pollJob, statusOrder, type JobView } from '../support/jobs.js';

// Catalog prices in micro-USD per second: sora-2 0.10 USD, veo-3.0-generate-001 0.40 USD.
const SORA_PER_SECOND = 100_000;
const VEO_PER_SECOND = 400_000;
/** The Azure fake moves a job one status every STEP_MS: five steps from preprocessing to succeeded. */
const STEP_MS = 80;
const MP4_FTYP = Buffer.from('ftyp', 'ascii');

/** A service-account key JSON whose token endpoint is the Veo fake's. */
function serviceAccount(fake: VeoFake): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return JSON.stringify({ type: 'service_account', project_id: 'omixa-video', private_key_id: 'k1', private_key: privateKey, client_email: 'veo@omixa-video.iam.gserviceaccount.com', token_uri: `${fake.url}/token` });
}

describe('video generation jobs', () => {
  let azure: AzureVideoFake;
  let veo: VeoFake;
  let gw: TestGateway;
  let client: OpenAI;

  const submit = (body: Record<string, unknown>) => client.post<JobView>('/videos/generations', { body });

  beforeAll(async () => {
    azure = await startAzureVideoFake({ stepMs: STEP_MS });
    veo = await startVeoFake({ durationMs: 250 });
    gw = await startTestGateway({ env: { OMIXA_JOB_POLL_MS: '30', OMIXA_JOB_POLL_MAX_MS: '120', OMIXA_JOB_SWEEP_MS: '100' } });
    await gw.admin('POST', '/admin/api/deployments', { name: 'sora-eastus2', model: 'sora-2', modality: 'video', endpoint: azure.url, deployment: 'sora', api_key: 'azure-secret-1' });
    await gw.admin('POST', '/admin/api/deployments', { name: 'veo-gemini', provider: 'gemini', model: 'veo-3.0-generate-001', modality: 'video', endpoint: veo.url, deployment: 'veo-3.0-generate-001', api_key: 'gemini-key-1' });
    await gw.admin('POST', '/admin/api/deployments', {
      name: 'veo-vertex', provider: 'vertex', model: 'veo-3.0-fast-generate-001', modality: 'video', endpoint: veo.url, deployment: 'veo-3.0-generate-001',
      api_key: serviceAccount(veo), options: { project: 'omixa-video', location: 'us-central1' },
    });
    await gw.topUp(50_000_000);
    client = gw.openai((await gw.createKey()).key);
  });

  afterAll(async () => {
    await gw?.close();
    await azure?.close();
    await veo?.close();
  });

  it('answers a text-to-video submit at once, reports queued → in_progress → completed over time, and serves the MP4', async () => {
    const before = await gw.wallet();
    const submittedAt = Date.now();
    const { data: job, response } = await client.post<JobView>('/videos/generations', { body: { model: 'sora-2', prompt: 'A serene lake with mountains', duration: 5 } }).withResponse();
    expect(response.status).toBe(200);
    expect(Date.now() - submittedAt).toBeLessThan(STEP_MS * 4); // answered long before the upstream is done
    expect(job).toMatchObject({ object: 'video.generation.job', status: 'queued', model: 'sora-2', duration: 5, resolution: '720p' });
    expect(job.id).toMatch(/^job_vid_[0-9A-Za-z]{22}$/);
    expect(job.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(job.estimated_wait).toMatch(/^\d+-\d+s$/);
    expect(job.request_id).toBe(response.headers.get('x-omixa-request-id'));

    // Held at submit: 5 s × 0.10 USD.
    const held = await gw.wallet();
    expect(held.locked_micros - before.locked_micros).toBe(5 * SORA_PER_SECOND);
    expect(held.balance_micros).toBe(before.balance_micros);
    const create = azure.requests.find((r) => r.method === 'POST')!;
    expect(create.path).toBe('/openai/v1/video/generations/jobs');
    expect(create.query['api-version']).toBe('preview');
    expect(create.headers['api-key']).toBe('azure-secret-1');
    expect(create.body).toEqual({ model: 'sora', prompt: 'A serene lake with mountains', width: 1280, height: 720, n_seconds: 5, n_variants: 1 });

    const { job: done, seen } = await pollJob(client, '/videos/generations', job.id);
    // The submit answer is the first observation; polls see the rest as the upstream moves on.
    expect(statusOrder([{ status: job.status, at: submittedAt }, ...seen])).toEqual(['queued', 'in_progress', 'completed']);
    // The lifecycle is spread over the upstream's own time: in_progress seen only after its queue steps, completion
    // only after all five steps.
    const firstInProgress = seen.find((s) => s.status === 'in_progress')!.at;
    const completedAt = seen.find((s) => s.status === 'completed')!.at;
    expect(firstInProgress - submittedAt).toBeGreaterThanOrEqual(STEP_MS * 2 - 10);
    expect(completedAt - submittedAt).toBeGreaterThanOrEqual(STEP_MS * 4);
    expect(completedAt).toBeGreaterThan(firstInProgress);
    expect(done).toMatchObject({ status: 'completed', duration: 5, resolution: '720p', model: 'sora-2' });
    expect(done.completed_at).toMatch(/Z$/);
    expect(done.estimated_wait).toBeUndefined();
    expect(done.video_url).toMatch(new RegExp(`^${gw.url}/files/file_[0-9A-Za-z]{22}$`));

    // The bytes are the upstream's generation, stored by the gateway, typed from their ftyp box.
    const generationId = [...azure.jobs.values()].find((j) => j.body.prompt === 'A serene lake with mountains')!.generations[0]!.id;
    const original = azure.videoOf(generationId)!;
    const whole = await fetch(done.video_url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(bytes.equals(original)).toBe(true);
    expect(bytes.subarray(4, 8).equals(MP4_FTYP)).toBe(true);
    const part = await fetch(done.video_url, { headers: { range: 'bytes=100-299' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-299/${original.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(original.subarray(100, 300))).toBe(true);

    // Captured exactly once on completion: hold 500,000, capture 500,000, nothing left locked.
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(5 * SORA_PER_SECOND);
    expect(after.locked_micros).toBe(before.locked_micros);
    expect(await ledgerOf(gw, job.request_id)).toEqual([
      expect.objectContaining({ type: 'hold', amount_micros: 500_000 }),
      expect.objectContaining({ type: 'capture', amount_micros: 500_000 }),
    ]);
    const usage = await gw.admin('GET', `/admin/api/usage/requests/${job.request_id}`);
    expect(usage).toMatchObject({ endpoint: 'videos.generations', model: 'sora-2', status: 'ok', cost_micros: 500_000, hold_micros: 500_000, deployment_name: 'sora-eastus2', usage_source: 'upstream' });
    expect((await gw.admin('GET', '/admin/api/doctor')).ledger_ok).toBe(true);
  });

  it('holds requested seconds × clips and captures the seconds the upstream reports for each clip', async () => {
    azure.setOptions({ plan: (body) => (body.prompt === 'two shorter clips' ? { reportedSeconds: 8 } : undefined) });
    const before = await gw.wallet();
    const job = await submit({ model: 'sora-2', prompt: 'two shorter clips', duration: 10, n: 2, size: '854x480' });
    expect(job).toMatchObject({ status: 'queued', resolution: '480p', size: '854x480', n: 2, duration: 10 });
    expect((await gw.wallet()).locked_micros - before.locked_micros).toBe(2 * 10 * SORA_PER_SECOND);
    const { job: done } = await pollJob(client, '/videos/generations', job.id);
    expect(done).toMatchObject({ status: 'completed', duration: 8 });
    expect(done.video_urls).toHaveLength(2);
    expect(new Set(done.video_urls).size).toBe(2);
    expect(done.video_url).toBe(done.video_urls[0]);
    // 2 clips × 8 s × 0.10 USD captured, the other 400,000 of the hold released.
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(2 * 8 * SORA_PER_SECOND);
    expect(after.locked_micros).toBe(before.locked_micros);
    expect((await ledgerOf(gw, job.request_id)).map((r) => [r.type, r.amount_micros])).toEqual([['hold', 2_000_000], ['capture', 1_600_000], ['release', 400_000]]);
  });

  it('fails a job the upstream fails, with the reason, and releases the whole hold', async () => {
    azure.setOptions({ plan: (body) => (body.prompt === 'something forbidden' ? { failureReason: 'input_moderation' } : undefined) });
    const before = await gw.wallet();
    const submittedAt = Date.now();
    const job = await submit({ model: 'sora-2', prompt: 'something forbidden', duration: 4 });
    const { job: done, seen } = await pollJob(client, '/videos/generations', job.id);
    // The submit answer is the first observation; polls see the rest as the upstream moves on.
    expect(statusOrder([{ status: job.status, at: submittedAt }, ...seen])).toEqual(['queued', 'in_progress', 'failed']);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'generation_failed', message: expect.stringContaining('content filter') } });
    expect(done.video_url).toBeUndefined();
    expect(await gw.wallet()).toEqual(before);
    expect((await ledgerOf(gw, job.request_id)).map((r) => [r.type, r.amount_micros])).toEqual([['hold', 400_000], ['release', 400_000]]);
    expect(await gw.admin('GET', `/admin/api/usage/requests/${job.request_id}`)).toMatchObject({ status: 'error', error_code: 'generation_failed', cost_micros: 0 });
  });

  it('cancels a running job upstream (DELETE and POST …/cancel), releases the hold, and refuses to cancel a finished one', async () => {
    azure.setOptions({ plan: () => ({ stepMs: 2_000 }) });
    const before = await gw.wallet();
    const first = await submit({ model: 'sora-2', prompt: 'cancel me by DELETE', duration: 3 });
    const second = await submit({ model: 'sora-2', prompt: 'cancel me by POST', duration: 2 });
    expect((await gw.wallet()).locked_micros - before.locked_micros).toBe(5 * SORA_PER_SECOND);

    const cancelled = await client.delete<JobView>(`/videos/generations/${first.id}`);
    expect(cancelled).toMatchObject({ id: first.id, status: 'cancelled' });
    const viaPost = await client.post<JobView>(`/videos/generations/${second.id}/cancel`);
    expect(viaPost).toMatchObject({ id: second.id, status: 'cancelled' });
    const upstreamOf = async (id: string) => (await gw.admin('GET', `/admin/api/jobs/${id}`)).upstream_id as string;
    const [firstUpstream, secondUpstream] = [await upstreamOf(first.id), await upstreamOf(second.id)];
    const deletes = azure.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.path)).toEqual([`/openai/v1/video/generations/jobs/${firstUpstream}`, `/openai/v1/video/generations/jobs/${secondUpstream}`]);
    expect(deletes.every((r) => r.headers['api-key'] === 'azure-secret-1' && r.query['api-version'] === 'preview')).toBe(true);

    // Cancelling again answers the same; the runner stops polling it; the money is back.
    expect(await client.post<JobView>(`/videos/generations/${first.id}/cancel`)).toMatchObject({ status: 'cancelled' });
    expect(await gw.wallet()).toEqual(before);
    expect((await ledgerOf(gw, first.request_id)).map((r) => r.type)).toEqual(['hold', 'release']);
    expect(await gw.admin('GET', `/admin/api/usage/requests/${first.request_id}`)).toMatchObject({ status: 'cancelled', cost_micros: 0 });
    const seenBefore = azure.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(azure.requests.slice(seenBefore).filter((r) => r.path.endsWith(firstUpstream) || r.path.endsWith(secondUpstream))).toEqual([]);

    azure.setOptions({ plan: undefined });
    const finished = await submit({ model: 'sora-2', prompt: 'let me finish', duration: 1 });
    await pollJob(client, '/videos/generations', finished.id);
    const refused = await apiError(client.delete(`/videos/generations/${finished.id}`));
    expect(refused.status).toBe(400);
    expect(refused.error).toMatchObject({ code: 'invalid_request', message: 'The job is already completed.' });
  });

  it('shows a job only to the account that made it', async () => {
    const job = await submit({ model: 'sora-2', prompt: 'mine only', duration: 1 });
    await gw.admin('POST', '/admin/api/accounts', { name: 'other-team' });
    const other = gw.openai((await gw.createKey({ account: 'other-team' })).key);
    for (const call of [other.get(`/videos/generations/${job.id}`), other.delete(`/videos/generations/${job.id}`), other.post(`/videos/generations/${job.id}/cancel`)]) {
      const err = await apiError(call);
      expect(err.status).toBe(404);
      expect(err.error).toMatchObject({ code: 'not_found', type: 'not_found_error' });
    }
    // Not a music job either, whoever asks; and not in the other account's listing.
    expect((await apiError(client.get(`/music/generations/${job.id}`))).status).toBe(404);
    const list = await other.get<{ data: JobView[] }>('/videos/generations');
    expect(list.data.map((j) => j.id)).not.toContain(job.id);
    const own = await client.get<{ object: string; data: JobView[]; has_more: boolean }>('/videos/generations?limit=2');
    expect(own).toMatchObject({ object: 'list', has_more: true });
    expect(own.data[0]!.id).toBe(job.id);
    // The same job under /api/v1.
    expect(await gw.openai((await gw.createKey()).key, { basePath: '/api/v1' }).get(`/videos/generations/${job.id}`)).toMatchObject({ id: job.id });
    await pollJob(client, '/videos/generations', job.id);
  });

  it('refuses bad requests with 400/404/402 naming the field, holding nothing and calling no upstream', async () => {
    const before = await gw.wallet();
    const calls = azure.requests.length;
    const cases: [Record<string, unknown>, number, string, string | null][] = [
      [{ model: 'sora-2' }, 400, 'invalid_request', 'prompt'],
      [{ model: 'sora-2', prompt: 'x', duration: 0 }, 400, 'invalid_request', 'duration'],
      [{ model: 'sora-2', prompt: 'x', duration: 2.5 }, 400, 'invalid_request', 'duration'],
      [{ model: 'sora-2', prompt: 'x', resolution: '4k' }, 400, 'invalid_request', 'resolution'],
      [{ model: 'sora-2', prompt: 'x', size: 'big' }, 400, 'invalid_request', 'size'],
      [{ model: 'sora-2', prompt: 'x', n: 9 }, 400, 'invalid_request', 'n'],
      [{ model: 'sora-2', prompt: 'x', image_base64: 'bm90IGFuIGltYWdl' }, 400, 'invalid_request', 'image'],
      [{ model: 'no-such-video-model', prompt: 'x' }, 404, 'model_not_found', 'model'],
      [{ model: 'gpt-4o-mini', prompt: 'x' }, 404, 'model_not_found', 'model'],
    ];
    for (const [body, status, code, param] of cases) {
      const err = await apiError(submit(body));
      expect([err.status, err.error], JSON.stringify(body)).toEqual([status, expect.objectContaining({ code, param })]);
    }
    const malformed = await fetch(`${gw.url}/v1/videos/generations`, { method: 'POST', headers: { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json' }, body: '{"model":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'invalid_request' } });

    await gw.admin('POST', '/admin/api/accounts', { name: 'broke' });
    const broke = gw.openai((await gw.createKey({ account: 'broke' })).key);
    const poor = await apiError(broke.post('/videos/generations', { body: { model: 'sora-2', prompt: 'x', duration: 4 } }));
    expect([poor.status, poor.error]).toEqual([402, expect.objectContaining({ code: 'insufficient_balance', message: 'Wallet balance is not enough for this request.' })]);
    expect(azure.requests.length).toBe(calls);
    expect(await gw.wallet()).toEqual(before);

    // A size the upstream refuses: the upstream's 400 reaches the client and the hold is released at once.
    const refused = await apiError(submit({ model: 'sora-2', prompt: 'x', size: '1000x1000' }));
    expect([refused.status, refused.error]).toEqual([400, expect.objectContaining({ code: 'invalid_request' })]);
    expect(refused.message).toContain('Unsupported resolution');
    expect(await gw.wallet()).toEqual(before);
  });

  it('animates an uploaded image (multipart), a URL-less base64 image, and sends it to Azure as an inpainting item', async () => {
    const png = makePng(32, 18, 7);
    const form = new FormData();
    form.set('model', 'sora-2');
    form.set('prompt', 'Slowly pan across the scene');
    form.set('duration', '3');
    form.set('resolution', '480p');
    form.set('image', new Blob([new Uint8Array(png)], { type: 'application/octet-stream' }), 'photo.png');
    const res = await fetch(`${gw.url}/v1/videos/generations`, { method: 'POST', headers: { authorization: `Bearer ${client.apiKey}` }, body: form });
    expect(res.status).toBe(200);
    const job = (await res.json()) as JobView;
    expect(job).toMatchObject({ status: 'queued', duration: 3, resolution: '480p' });
    const create = azure.requests.filter((r) => r.method === 'POST').at(-1)!;
    expect(create.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(create.body).toMatchObject({ model: 'sora', prompt: 'Slowly pan across the scene', width: '854', height: '480', n_seconds: '3', n_variants: '1' });
    expect(JSON.parse(create.body!.inpaint_items as string)).toEqual([
      { frame_index: 0, type: 'image', file_name: 'photo.png', crop_bounds: { left_fraction: 0, top_fraction: 0, right_fraction: 1, bottom_fraction: 1 } },
    ]);
    expect(create.files).toHaveLength(1);
    expect(create.files[0]).toMatchObject({ name: 'files', filename: 'photo.png', contentType: 'image/png' });
    expect(create.files[0]!.data.equals(png)).toBe(true);
    expect((await pollJob(client, '/videos/generations', job.id)).job.status).toBe('completed');

    const viaJson = await submit({ model: 'sora-2', prompt: 'From base64', duration: 1, image_base64: png.toString('base64') });
    expect(azure.requests.filter((r) => r.method === 'POST').at(-1)!.files[0]!.data.equals(png)).toBe(true);
    expect((await pollJob(client, '/videos/generations', viaJson.id)).job.status).toBe('completed');
  });

  it('runs Veo on the Gemini API as a long-running operation and downloads the sample with the key', async () => {
    const before = await gw.wallet();
    const submittedAt = Date.now();
    const job = await submit({ model: 'veo-3.0-generate-001', prompt: 'A serene lake', duration: 8, resolution: '1080p', negative_prompt: 'people' });
    expect((await gw.wallet()).locked_micros - before.locked_micros).toBe(8 * VEO_PER_SECOND);
    const create = veo.requests.find((r) => r.surface === 'gemini' && r.path.endsWith(':predictLongRunning'))!;
    expect(create.path).toBe('/v1beta/models/veo-3.0-generate-001:predictLongRunning');
    expect(create.headers['x-goog-api-key']).toBe('gemini-key-1');
    expect(create.body).toEqual({ instances: [{ prompt: 'A serene lake' }], parameters: { aspectRatio: '16:9', durationSeconds: 8, sampleCount: 1, resolution: '1080p', negativePrompt: 'people' } });

    const { job: done, seen } = await pollJob(client, '/videos/generations', job.id);
    // The submit answer is the first observation; polls see the rest as the upstream moves on.
    expect(statusOrder([{ status: job.status, at: submittedAt }, ...seen])).toEqual(['queued', 'in_progress', 'completed']);
    const polls = veo.requests.filter((r) => r.surface === 'gemini' && r.method === 'GET' && /\/operations\//.test(r.path));
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls.every((r) => r.headers['x-goog-api-key'] === 'gemini-key-1')).toBe(true);
    const download = veo.requests.find((r) => r.path.endsWith(':download'))!;
    expect(download.headers['x-goog-api-key']).toBe('gemini-key-1');
    const bytes = Buffer.from(await (await fetch(done.video_url)).arrayBuffer());
    expect(bytes.equals(veo.files.get(download.path.match(/files\/(\w+):/)![1]!)!)).toBe(true);
    // Veo reports no duration: the requested 8 s are captured.
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(8 * VEO_PER_SECOND);
    expect(after.locked_micros).toBe(before.locked_micros);
    expect(await gw.admin('GET', `/admin/api/usage/requests/${job.request_id}`)).toMatchObject({ status: 'ok', usage_source: 'local', cost_micros: 3_200_000 });
  });

  it('fails Veo operations that end in an error or with every sample filtered, and cannot cancel Veo', async () => {
    veo.setOptions({ plan: (body) => (body.instances[0].prompt === 'bad' ? { error: { code: 3, message: 'Unsupported aspect ratio.', status: 'INVALID_ARGUMENT' } } : body.instances[0].prompt === 'filtered' ? { filtered: true } : { durationMs: 5_000 }) });
    const before = await gw.wallet();
    const bad = await submit({ model: 'veo-3.0-generate-001', prompt: 'bad', duration: 4 });
    const filtered = await submit({ model: 'veo-3.0-generate-001', prompt: 'filtered', duration: 4 });
    const slow = await submit({ model: 'veo-3.0-generate-001', prompt: 'slow', duration: 4 });
    expect((await pollJob(client, '/videos/generations', bad.id)).job).toMatchObject({ status: 'failed', error: { code: 'generation_failed', message: 'Unsupported aspect ratio.' } });
    expect((await pollJob(client, '/videos/generations', filtered.id)).job).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('content filter blocked') } });
    const refused = await apiError(client.delete(`/videos/generations/${slow.id}`));
    expect([refused.status, refused.error]).toEqual([400, expect.objectContaining({ message: 'The upstream running this job does not support cancelling it.' })]);
    expect((await gw.wallet()).locked_micros - before.locked_micros).toBe(4 * VEO_PER_SECOND); // only the slow one still holds
    veo.setOptions({ plan: undefined });
  });

  it('runs Veo on Vertex AI with a service-account token and stores the inline video bytes', async () => {
    const before = await gw.wallet();
    const job = await submit({ model: 'veo-3.0-fast-generate-001', prompt: 'Vertical surf clip', duration: 6, size: '720x1280', n: 2 });
    const { job: done } = await pollJob(client, '/videos/generations', job.id);
    expect(done).toMatchObject({ status: 'completed', resolution: '720p', size: '720x1280' });
    expect(done.video_urls).toHaveLength(2);
    const vertex = veo.requests.filter((r) => r.surface === 'vertex');
    expect(vertex[0]!.path).toBe('/v1/projects/omixa-video/locations/us-central1/publishers/google/models/veo-3.0-generate-001:predictLongRunning');
    expect(vertex[0]!.body.parameters).toMatchObject({ aspectRatio: '9:16', durationSeconds: 6, sampleCount: 2, resolution: '720p' });
    expect(vertex.length).toBeGreaterThanOrEqual(3);
    for (const poll of vertex.slice(1)) {
      expect(poll.path).toBe('/v1/projects/omixa-video/locations/us-central1/publishers/google/models/veo-3.0-generate-001:fetchPredictOperation');
      expect(poll.body.operationName).toMatch(/^projects\/omixa-video\/locations\/us-central1\/publishers\/google\/models\/veo-3\.0-generate-001\/operations\/\w+$/);
    }
    expect(vertex.every((r) => /^Bearer ya29\.fake-/.test(String(r.headers.authorization)))).toBe(true);
    for (const url of done.video_urls) {
      const res = await fetch(url);
      expect(res.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await res.arrayBuffer()).subarray(4, 8).equals(MP4_FTYP)).toBe(true);
    }
    // veo-3.0-fast-generate-001: 0.15 USD/s × 6 s × 2 clips.
    expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(2 * 6 * 150_000);
  });

  it('lists every account\'s jobs for the admin with previews, shows one with its money, and streams job events', async () => {
    const events = await fetch(`${gw.url}/admin/api/events`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
    const reader = events.body!.getReader();
    let text = '';
    const job = await submit({ model: 'sora-2', prompt: 'for the gallery', duration: 2 });
    await pollJob(client, '/videos/generations', job.id);
    const deadline = Date.now() + 5_000;
    const completedEvent = `"id":"${job.id}","object":"video.generation.job","status":"completed"`;
    while (!text.includes(completedEvent) && Date.now() < deadline) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    const jobEvents = text.split('\n\n').filter((e) => e.startsWith('event: job')).map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)));
    const mine = jobEvents.filter((e) => e.id === job.id);
    expect(mine.map((e) => e.status)).toEqual(expect.arrayContaining(['queued', 'in_progress', 'completed']));
    expect(mine.at(-1)).toMatchObject({ status: 'completed', account_name: 'default', cost_micros: 200_000, preview_url: expect.stringMatching(/\/files\/file_/) });

    const page = await gw.admin('GET', '/admin/api/jobs?kind=video&limit=3');
    expect(page).toMatchObject({ object: 'list', has_more: true });
    expect(page.data).toHaveLength(3);
    expect(page.data[0]).toMatchObject({ id: job.id, kind: 'video', status: 'completed', account_name: 'default', deployment_name: 'sora-eastus2', cost_micros: 200_000 });
    expect(page.data[0].preview_url).toBe(page.data[0].video_url);
    const next = await gw.admin('GET', `/admin/api/jobs?kind=video&limit=3&cursor=${page.next_cursor}`);
    expect(next.data.map((j: JobView) => j.id)).not.toContain(job.id);
    const failed = await gw.admin('GET', '/admin/api/jobs?status=failed');
    expect(failed.data.length).toBeGreaterThan(0);
    expect(failed.data.every((j: JobView) => j.status === 'failed')).toBe(true);
    expect((await gw.admin('GET', '/admin/api/jobs?account=other-team')).data).toEqual([]);
    const one = await gw.admin('GET', `/admin/api/jobs/${job.id}`);
    expect(one).toMatchObject({ id: job.id, usage: { id: job.request_id, status: 'ok', cost_micros: 200_000 }, files: [expect.objectContaining({ content_type: 'video/mp4', seconds: 2 })] });
    expect(one.ledger.map((r: { type: string }) => r.type)).toEqual(['hold', 'capture']);
    await expect(gw.admin('GET', '/admin/api/jobs/job_vid_nope')).rejects.toMatchObject({ status: 404 });
    await expect(gw.admin('GET', '/admin/api/jobs?status=weird')).rejects.toMatchObject({ status: 400 });
    const clientOnAdmin = await fetch(`${gw.url}/admin/api/jobs`, { headers: { authorization: `Bearer ${client.apiKey}` } });
    expect(clientOnAdmin.status).toBe(401);
  });

  it('deletes completed media after the retention period: the job shows expired and its files are gone', async () => {
    const job = await submit({ model: 'sora-2', prompt: 'short-lived', duration: 1 });
    const { job: done } = await pollJob(client, '/videos/generations', job.id);
    expect((await fetch(done.video_url)).status).toBe(200);
    expect(done.expires_at).toMatch(/Z$/);
    expect(await gw.admin('GET', '/admin/api/media/retention')).toEqual({ media_retention_days: 30, default_days: 30 });
    // About 9 ms: every completed job so far is older than that.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await gw.admin('PATCH', '/admin/api/media/retention', { media_retention_days: 0.0000001 });
    const expired = await client.get<JobView>(`/videos/generations/${job.id}`);
    expect(expired).toMatchObject({ status: 'expired', expired_at: expect.stringMatching(/Z$/) });
    expect(expired.video_url).toBeUndefined();
    expect((await fetch(done.video_url)).status).toBe(404);
    expect(await gw.admin('GET', `/admin/api/jobs/${job.id}`)).toMatchObject({ status: 'expired', files: [], preview_url: null });
    await expect(gw.admin('PATCH', '/admin/api/media/retention', { media_retention_days: -1 })).rejects.toMatchObject({ status: 400 });
    await gw.admin('PATCH', '/admin/api/media/retention', { media_retention_days: 30 });
  });
});
