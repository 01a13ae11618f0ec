import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../src-gateway/db/deployments-repository.js';
import { PROVIDERS } from '../../../src-gateway/db/deployments-repository.js';
import { JOB_PROVIDERS, jobProviderFor } from '../../../src-gateway/jobs/providers/index.js';
import { azureJobState, azureVideoProvider } from '../../../src-gateway/jobs/providers/azure-video.js';
import { geminiVeoProvider, veoOperationState, veoRequestBody, vertexSamples, geminiSamples } from '../../../src-gateway/jobs/providers/veo.js';
import { compatibleMusicProvider, musicJobState, musicOutputs } from '../../../src-gateway/jobs/providers/compatible-music.js';
import { sniffJobMedia } from '../../../src-gateway/jobs/outputs.js';
import { jobRunnerOptions } from '../../../src-gateway/jobs/context.js';
import { UpstreamAnswerError, type JobParams } from '../../../src-gateway/jobs/types.js';
import { makeMp4 } from '../../support/fakes/azure-video.js';
import { makeWav } from '../../support/fakes/media-bytes.js';

const deployment = (over: Partial<Deployment>): Deployment => ({
  id: 'dep_1', name: 'd', provider: 'azure', model: 'sora-2', endpoint: 'https://res.openai.azure.com/', deployment: 'sora', apiVersion: '2024-10-21',
  region: null, rpm: 0, tpm: 0, hourlyTokens: 0, weight: 1, priority: 0, fastMode: false, enabled: true, secretRef: 'ref', secretHint: null, options: {}, createdAt: 0, updatedAt: 0,
  ...over,
});

const params = (over: Partial<JobParams> = {}): JobParams => ({ prompt: 'a lake', durationSeconds: 5, n: 1, width: 1280, height: 720, resolution: '720p', hasImage: false, ...over });

describe('job provider map', () => {
  it('has one provider per (upstream, kind), each for upstreams the deployments know', () => {
    const pairs = JOB_PROVIDERS.flatMap((p) => p.kinds.map((k) => `${p.id}:${k}`));
    expect(new Set(pairs).size).toBe(pairs.length);
    for (const p of JOB_PROVIDERS) expect(PROVIDERS).toContain(p.id);
    expect(jobProviderFor('azure', 'video')).toBe(azureVideoProvider);
    expect(jobProviderFor('gemini', 'video')?.id).toBe('gemini');
    expect(jobProviderFor('vertex', 'video')?.id).toBe('vertex');
    expect(jobProviderFor('openai-compatible', 'music')).toBe(compatibleMusicProvider);
    expect(jobProviderFor('azure', 'music')).toBeUndefined();
    expect(jobProviderFor('anthropic', 'video')).toBeUndefined();
  });
});

describe('status mapping', () => {
  it('maps Azure video job statuses, treating unknown ones as still running', () => {
    const map = Object.fromEntries(['preprocessing', 'queued', 'running', 'processing', 'succeeded', 'failed', 'cancelled', 'something_new'].map((s) => [s, azureJobState(s)]));
    expect(map).toEqual({ preprocessing: 'queued', queued: 'queued', running: 'in_progress', processing: 'in_progress', succeeded: 'completed', failed: 'failed', cancelled: 'cancelled', something_new: 'in_progress' });
  });

  it('maps the documented music job statuses and their synonyms', () => {
    const map = Object.fromEntries(['queued', 'pending', 'in_progress', 'running', 'completed', 'succeeded', 'failed', 'error', 'cancelled', 'canceled', 'QUEUED'].map((s) => [s, musicJobState(s)]));
    expect(map).toEqual({ queued: 'queued', pending: 'queued', in_progress: 'in_progress', running: 'in_progress', completed: 'completed', succeeded: 'completed', failed: 'failed', error: 'failed', cancelled: 'cancelled', canceled: 'cancelled', QUEUED: 'queued' });
  });
});

describe('Azure video jobs provider', () => {
  const target = { deployment: deployment({}), secret: 's3cret' };

  it('builds create, poll, download and cancel on /openai/v1/video/generations with api-version=preview', () => {
    const create = azureVideoProvider.create(target, 'video', params(), undefined);
    expect(create).toMatchObject({ method: 'POST', url: 'https://res.openai.azure.com/openai/v1/video/generations/jobs?api-version=preview', headers: { 'api-key': 's3cret', 'content-type': 'application/json' } });
    expect(JSON.parse(create.body as string)).toEqual({ model: 'sora', prompt: 'a lake', width: 1280, height: 720, n_seconds: 5, n_variants: 1 });
    expect(azureVideoProvider.poll(target, 'task_1')).toEqual({ method: 'GET', url: 'https://res.openai.azure.com/openai/v1/video/generations/jobs/task_1?api-version=preview', headers: { 'api-key': 's3cret' } });
    expect(azureVideoProvider.cancel!(target, 'task_1')).toMatchObject({ method: 'DELETE', url: 'https://res.openai.azure.com/openai/v1/video/generations/jobs/task_1?api-version=preview' });
    const v1 = { deployment: deployment({ endpoint: 'https://res.openai.azure.com/openai/v1/', options: { video_api_version: '2025-05-01-preview' } }), secret: 's' };
    expect(azureVideoProvider.poll(v1, 'x').url).toBe('https://res.openai.azure.com/openai/v1/video/generations/jobs/x?api-version=2025-05-01-preview');
  });

  it('reads a succeeded job into one output per generation with its seconds, and failures with their reason', () => {
    const state = azureVideoProvider.status({ status: 'succeeded', generations: [{ id: 'gen_a', n_seconds: 5 }, { id: 'gen_b' }] }, target, 'task_1');
    expect(state).toEqual({
      state: 'completed',
      upstreamStatus: 'succeeded',
      outputs: [
        { url: 'https://res.openai.azure.com/openai/v1/video/generations/gen_a/content/video?api-version=preview', seconds: 5 },
        { url: 'https://res.openai.azure.com/openai/v1/video/generations/gen_b/content/video?api-version=preview', seconds: null },
      ],
    });
    expect(azureVideoProvider.status({ status: 'failed', failure_reason: 'input_moderation' }, target, 't')).toMatchObject({ state: 'failed', error: expect.stringContaining('content filter') });
    expect(azureVideoProvider.status({ status: 'succeeded', generations: [] }, target, 't')).toMatchObject({ state: 'failed' });
    expect(azureVideoProvider.status({ status: 'running' }, target, 't')).toEqual({ state: 'in_progress', upstreamStatus: 'running', progress: null });
    expect(() => azureVideoProvider.status({ nope: true }, target, 't')).toThrow(UpstreamAnswerError);
    expect(() => azureVideoProvider.created({ status: 'queued' })).toThrow(UpstreamAnswerError);
    expect(azureVideoProvider.created({ id: 'task_9' })).toBe('task_9');
  });

  it('sends the key only to the resource it belongs to', () => {
    expect(azureVideoProvider.download(target, { url: 'https://res.openai.azure.com/openai/v1/video/generations/g/content/video' }).headers).toEqual({ 'api-key': 's3cret' });
    expect(azureVideoProvider.download(target, { url: 'https://evil.example/video.mp4' }).headers).toEqual({});
  });

  it('sends image-to-video as multipart: the fields, inpaint_items at frame 0, the image in files', () => {
    const png = Buffer.from('\x89PNG fake');
    const call = azureVideoProvider.create(target, 'video', params({ hasImage: true }), { data: png, mimeType: 'image/png', filename: 'cat.png' });
    expect(call.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const text = Buffer.from(call.body as Uint8Array).toString('latin1');
    expect(text).toContain('name="n_seconds"\r\n\r\n5\r\n');
    expect(text).toContain('"frame_index":0,"type":"image","file_name":"cat.png"');
    expect(text).toContain('name="files"; filename="cat.png"\r\nContent-Type: image/png');
  });
});

describe('Veo provider', () => {
  it('builds the predictLongRunning body from the job parameters', () => {
    expect(veoRequestBody(params({ durationSeconds: 8, n: 2, negativePrompt: 'rain' }), undefined)).toEqual({
      instances: [{ prompt: 'a lake' }],
      parameters: { aspectRatio: '16:9', durationSeconds: 8, sampleCount: 2, resolution: '720p', negativePrompt: 'rain' },
    });
    const portrait = veoRequestBody(params({ width: 480, height: 854, resolution: '480p' }), { data: Buffer.from([1, 2, 3]), mimeType: 'image/jpeg', filename: 'a.jpg' });
    expect(portrait).toEqual({ instances: [{ prompt: 'a lake', image: { bytesBase64Encoded: 'AQID', mimeType: 'image/jpeg' } }], parameters: { aspectRatio: '9:16', durationSeconds: 5, sampleCount: 1 } });
  });

  it('calls the Gemini API with the key in a header and polls the operation by name', () => {
    const target = { deployment: deployment({ provider: 'gemini', endpoint: '', deployment: 'veo-3.0-generate-001' }), secret: 'g-key' };
    expect(geminiVeoProvider.create(target, 'video', params(), undefined)).toMatchObject({ url: 'https://generativelanguage.googleapis.com/v1beta/models/veo-3.0-generate-001:predictLongRunning', headers: { 'x-goog-api-key': 'g-key' } });
    const name = geminiVeoProvider.created({ name: 'models/veo-3.0-generate-001/operations/abc123' });
    expect(geminiVeoProvider.poll(target, name)).toEqual({ method: 'GET', url: 'https://generativelanguage.googleapis.com/v1beta/models/veo-3.0-generate-001/operations/abc123', headers: { 'x-goog-api-key': 'g-key' } });
    expect(() => geminiVeoProvider.created({ name: '../../etc' })).toThrow(UpstreamAnswerError);
    expect(geminiVeoProvider.download(target, { url: 'https://generativelanguage.googleapis.com/v1beta/files/x:download?alt=media' }).headers).toEqual({ 'x-goog-api-key': 'g-key' });
    expect(geminiVeoProvider.download(target, { url: 'https://elsewhere.example/x.mp4' }).headers).toEqual({});
  });

  it('reads running, failed, filtered and finished operations on both surfaces', () => {
    expect(veoOperationState({ name: 'op', done: false, metadata: {} }, geminiSamples)).toEqual({ state: 'in_progress', upstreamStatus: 'running', progress: null });
    expect(veoOperationState({ name: 'op', done: true, error: { code: 3, message: 'Bad prompt.' } }, geminiSamples)).toMatchObject({ state: 'failed', error: 'Bad prompt.' });
    expect(veoOperationState({ name: 'op', done: true, response: { generateVideoResponse: { raiMediaFilteredCount: 1, raiMediaFilteredReasons: ['Unsafe.'] } } }, geminiSamples)).toMatchObject({ state: 'failed', error: expect.stringContaining('Unsafe.') });
    expect(veoOperationState({ name: 'op', done: true, response: { generateVideoResponse: { generatedSamples: [{ video: { uri: 'https://g/v1beta/files/a:download' } }] } } }, geminiSamples)).toEqual({
      state: 'completed', upstreamStatus: 'done', outputs: [{ url: 'https://g/v1beta/files/a:download', seconds: null }],
    });
    expect(vertexSamples({ videos: [{ bytesBase64Encoded: 'AAAA', mimeType: 'video/mp4' }, { gcsUri: 'gs://bucket/out/a b.mp4' }] })).toEqual([
      { base64: 'AAAA', seconds: null },
      { url: 'https://storage.googleapis.com/storage/v1/b/bucket/o/out%2Fa%20b.mp4?alt=media', seconds: null },
    ]);
    expect(() => veoOperationState('not an operation', geminiSamples)).toThrow(UpstreamAnswerError);
  });
});

describe('OpenAI-compatible music provider', () => {
  const target = { deployment: deployment({ provider: 'openai-compatible', endpoint: 'http://music.local:9000/v1/', deployment: 'lyria-002' }), secret: 'tok' };

  it('builds the documented job calls under the base URL with a Bearer token', () => {
    const create = compatibleMusicProvider.create(target, 'music', params({ durationSeconds: 30, lyrics: 'la' }), undefined);
    expect(create.url).toBe('http://music.local:9000/v1/music/generations');
    expect(create.headers.authorization).toBe('Bearer tok');
    expect(JSON.parse(create.body as string)).toEqual({ model: 'lyria-002', prompt: 'a lake', duration: 30, n: 1, lyrics: 'la' });
    expect(compatibleMusicProvider.poll(target, 'mus 1').url).toBe('http://music.local:9000/v1/music/generations/mus%201');
    expect(compatibleMusicProvider.cancel!(target, 'm1')).toMatchObject({ method: 'POST', url: 'http://music.local:9000/v1/music/generations/m1/cancel' });
    expect(compatibleMusicProvider.poll({ ...target, secret: 'none' }, 'm1').headers).toEqual({});
  });

  it('resolves relative audio URLs against the base and pairs each with its duration', () => {
    expect(musicOutputs({ audio_urls: ['/v1/files/a.wav', 'https://cdn.example/b.mp3'], durations: [12, 13] }, 'http://music.local:9000/v1')).toEqual([
      { url: 'http://music.local:9000/v1/files/a.wav', seconds: 12 },
      { url: 'https://cdn.example/b.mp3', seconds: 13 },
    ]);
    expect(musicOutputs({ audio_url: 'track.wav', duration: 30 }, 'http://music.local:9000/v1')).toEqual([{ url: 'http://music.local:9000/v1/track.wav', seconds: 30 }]);
    expect(compatibleMusicProvider.status({ status: 'failed', error: 'quota' }, target, 'm')).toMatchObject({ state: 'failed', error: 'The upstream failed: quota' });
    expect(compatibleMusicProvider.status({ status: 'in_progress', progress: 40 }, target, 'm')).toEqual({ state: 'in_progress', upstreamStatus: 'in_progress', progress: 40 });
    expect(compatibleMusicProvider.download(target, { url: 'https://cdn.example/b.mp3' }).headers).toEqual({});
  });
});

describe('media sniffing and runner settings', () => {
  it('types generated media from their bytes', () => {
    expect(sniffJobMedia(makeMp4(), 'video')).toBe('video/mp4');
    expect(sniffJobMedia(makeMp4(), 'music')).toBe('audio/mp4');
    expect(sniffJobMedia(Buffer.from('\0\0\0\x20ftypqt  '), 'video')).toBe('video/quicktime');
    expect(sniffJobMedia(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0]), 'video')).toBe('video/webm');
    expect(sniffJobMedia(makeWav(1), 'music')).toBe('audio/wav');
    expect(sniffJobMedia(Buffer.from('<html>'), 'video')).toBe('application/octet-stream');
  });

  it('reads the runner timing from the environment, with defaults, and refuses nonsense', () => {
    expect(jobRunnerOptions({})).toEqual({ pollMs: 1000, pollMaxMs: 15_000, sweepMs: 60_000, timeoutMs: 10_800_000, maxPollErrors: 30, concurrency: 16 });
    expect(jobRunnerOptions({ OMIXA_JOB_POLL_MS: '50', OMIXA_JOB_POLL_MAX_MS: '20' })).toMatchObject({ pollMs: 50, pollMaxMs: 50 });
    expect(() => jobRunnerOptions({ OMIXA_JOB_POLL_MS: 'soon' })).toThrow(/pollMs/);
    expect(() => jobRunnerOptions({ OMIXA_JOB_CONCURRENCY: '0' })).toThrow(/concurrency/);
  });
});
