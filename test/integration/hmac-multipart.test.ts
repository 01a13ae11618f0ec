/**
 * HMAC signatures over multipart uploads (API.md §2): `timestamp.METHOD.path.` followed by the form's bytes exactly as
 * received. An upload signed over anything else (an empty body, other bytes) is refused with 401 `invalid_signature`
 * before any upstream call or billing; a bad key or missing signature headers are refused before the upload is read.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import type { AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureVideoFake, type AzureVideoFake } from '../support/fakes/azure-video.js';
import { makePng, makeWav } from '../support/fakes/media-bytes.js';
import { startAzureGateway, startFundedGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';
import { formBytes, nowSeconds, sign, signingFetch, type Bytes, type SignedRequest, type SigningTweaks } from '../support/signing.js';

// Catalog prices: whisper 0.0001 USD per second of audio, gpt-image-1 0.042 USD per image.
const WHISPER_PER_SECOND = 100;
const GPT_IMAGE = 42_000;
const TRANSCRIPT = 'The quick brown fox jumps over the lazy dog. It was a sunny day.';

type Form = { body: Bytes; contentType: string };
type Signature = { timestamp: string; signature: string };

const signedSdk = (gw: TestGateway, key: string, tweaks: SigningTweaks = {}, basePath: '/v1' | '/api/v1' = '/v1') =>
  new OpenAI({ apiKey: key, baseURL: `${gw.url}${basePath}`, maxRetries: 0, fetch: signingFetch(key, tweaks) });

function transcriptionForm(seconds: number, language = 'en'): FormData {
  const form = new FormData();
  form.set('model', 'whisper');
  form.set('language', language);
  form.set('file', new Blob([new Uint8Array(makeWav(seconds))], { type: 'audio/wav' }), 'speech.wav');
  return form;
}

function signFor(key: string, path: string, body: string | Uint8Array, timestamp = nowSeconds()): Signature {
  return { timestamp, signature: sign(key, timestamp, 'POST', path, body) };
}

function postForm(gw: TestGateway, path: string, key: string, form: Form, signature?: Signature): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, 'content-type': form.contentType };
  if (signature) Object.assign(headers, { 'x-omixa-timestamp': signature.timestamp, 'x-omixa-signature': signature.signature });
  return fetch(`${gw.url}${path}`, { method: 'POST', headers, body: form.body });
}

/** A 401 in the catalogue's shape; returns its message. */
async function expectUnauthorized(res: Response, code: 'invalid_signature' | 'signature_expired' | 'invalid_api_key'): Promise<string> {
  expect(res.status).toBe(401);
  expect(res.headers.get('x-omixa-request-id')).toMatch(/^req_/);
  const { error } = (await res.json()) as { error: { code: string; type: string; param?: string | null; message: string } };
  expect(error).toMatchObject({ code, type: 'authentication_error' });
  expect(error.param ?? null).toBeNull();
  return error.message;
}

/** `bytes` with one byte changed at the first occurrence of `marker` (plus `offset`). */
function tamper(bytes: Bytes, marker: string | Buffer, offset = 0): Bytes {
  const copy = Buffer.from(bytes);
  const at = copy.indexOf(marker) + offset;
  expect(at).toBeGreaterThanOrEqual(offset);
  copy[at] = copy[at]! ^ 0x01;
  return new Uint8Array(copy);
}

/**
 * Sends the headers and the first bytes of a 5 MB upload, then waits: the answer must come while the body is still
 * incomplete, i.e. before the gateway read it.
 */
async function answerToUnfinishedUpload(gw: TestGateway, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const url = new URL(`${gw.url}/v1/audio/transcriptions`);
  const boundary = 'omixa-unfinished';
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(5 * 1024 * 1024) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      });
    });
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n`);
    req.write(Buffer.alloc(64 * 1024));
  });
}

describe('HMAC signatures over multipart uploads (key with require_signature)', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let signedKey: string;
  let plainKey: string;

  /** Upstream calls and wallet before a refused call; `unchanged()` checks nothing was called, held or billed. */
  async function snapshot() {
    const requests = fake.requests.length;
    const { balance_micros } = await gw.wallet();
    return {
      unchanged: async () => {
        expect(fake.requests.length).toBe(requests);
        const wallet = await gw.wallet();
        expect(wallet.balance_micros).toBe(balance_micros);
        expect(wallet.locked_micros).toBe(0);
      },
    };
  }

  beforeAll(async () => {
    const setup = await startAzureGateway({
      fake: { deployments: ['whisper', 'gpt-image-1'] },
      deployments: [
        { name: 'stt', model: 'whisper', deployment: 'whisper', modality: 'audio' },
        { name: 'img-1', model: 'gpt-image-1', deployment: 'gpt-image-1', modality: 'image', api_version: '2025-04-01-preview' },
      ],
      key: { name: 'signed', require_signature: true },
    });
    ({ fake, gw, key: signedKey } = setup);
    plainKey = (await gw.createKey({ name: 'plain' })).key;
    return setup.close;
  });

  it('serves a transcription the openai SDK uploads, signed over the exact form bytes it sends, and bills it (/v1 and /api/v1)', async () => {
    const seen: SignedRequest[] = [];
    for (const basePath of ['/v1', '/api/v1'] as const) {
      const before = await gw.wallet();
      const client = signedSdk(gw, signedKey, { onSigned: (s) => seen.push(s) }, basePath);
      const file = await toFile(makeWav(2.5), 'speech.wav', { type: 'audio/wav' });
      const { data, response } = await client.audio.transcriptions.create({ model: 'whisper', file, language: 'en' }).withResponse();
      expect(data.text).toBe(TRANSCRIPT);

      // What was signed is the multipart body itself, the audio inside it.
      const signed = seen.at(-1)!;
      expect(new URL(signed.url).pathname).toBe(`${basePath}/audio/transcriptions`);
      expect(signed.contentType).toMatch(/^multipart\/form-data; boundary=/);
      expect(Buffer.from(signed.body).includes(makeWav(2.5))).toBe(true);

      const sent = fake.requests.at(-1)!;
      expect(sent.path).toBe('/openai/deployments/whisper/audio/transcriptions');
      expect(sent.body).toMatchObject({ language: 'en' });
      expect(sent.files![0]!.data.equals(makeWav(2.5))).toBe(true);
      // 2.5 s × 100 micro-USD.
      expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(2.5 * WHISPER_PER_SECOND);
      const row = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
      expect(row).toMatchObject({ status: 'ok', cost_micros: 250, deployment_name: 'stt' });
    }
  });

  it('serves an image edit sent with fetch as the bytes of a FormData, signed over those bytes, and bills it', async () => {
    const before = await gw.wallet();
    const png = makePng(8, 8, 7);
    const form = new FormData();
    form.set('model', 'gpt-image-1');
    form.set('prompt', 'add a hat');
    form.set('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'input.png');
    const bytes = await formBytes(form);
    const res = await postForm(gw, '/v1/images/edits', signedKey, bytes, signFor(signedKey, '/v1/images/edits', bytes.body));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { url: string }[] }).data[0]!.url).toMatch(/\/files\/file_/);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/openai/deployments/gpt-image-1/images/edits');
    expect(sent.body).toMatchObject({ prompt: 'add a hat' });
    expect(sent.files![0]!.data.equals(png)).toBe(true);
    expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(GPT_IMAGE);
  });

  it('refuses an upload signed over an empty body with 401 invalid_signature, calling and billing nothing', async () => {
    const state = await snapshot();
    // Through the SDK: the signature covers `timestamp.POST.path.` and no body.
    const client = signedSdk(gw, signedKey, { signedBody: () => '' });
    const file = await toFile(makeWav(1), 'speech.wav', { type: 'audio/wav' });
    const err = await client.audio.transcriptions.create({ model: 'whisper', file }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_signature', type: 'authentication_error' });

    // With fetch, on both multipart endpoints.
    const audio = await formBytes(transcriptionForm(1));
    await expectUnauthorized(await postForm(gw, '/v1/audio/transcriptions', signedKey, audio, signFor(signedKey, '/v1/audio/transcriptions', '')), 'invalid_signature');
    const image = new FormData();
    image.set('model', 'gpt-image-1');
    image.set('prompt', 'x');
    image.set('image', new Blob([new Uint8Array(makePng(4, 4))], { type: 'image/png' }), 'a.png');
    const imageBytes = await formBytes(image);
    await expectUnauthorized(await postForm(gw, '/api/v1/images/edits', signedKey, imageBytes, signFor(signedKey, '/api/v1/images/edits', '')), 'invalid_signature');
    await state.unchanged();
  });

  it('refuses tampered bytes (a byte of the file, a field value, the same form serialised again), then takes the signed original', async () => {
    const form = transcriptionForm(1.5);
    const original = await formBytes(form);
    const signature = signFor(signedKey, '/v1/audio/transcriptions', original.body);
    const state = await snapshot();
    const wav = makeWav(1.5);
    const tampered: Form[] = [
      { ...original, body: tamper(original.body, wav, 200) },
      { ...original, body: tamper(original.body, 'name="language"\r\n\r\nen', 'name="language"\r\n\r\n'.length) },
      await formBytes(form), // a new boundary: the same fields and file, other bytes
    ];
    for (const forged of tampered) {
      expect(forged.body.length).toBe(original.body.length);
      await expectUnauthorized(await postForm(gw, '/v1/audio/transcriptions', signedKey, forged, signature), 'invalid_signature');
    }
    // Cut short or extended, the body is not the signed one either.
    const shorter = { ...original, body: original.body.subarray(0, original.body.length - 2) };
    const longer = { ...original, body: new Uint8Array(Buffer.concat([original.body, Buffer.from('\r\n')])) };
    for (const forged of [shorter, longer]) await expectUnauthorized(await postForm(gw, '/v1/audio/transcriptions', signedKey, forged, signature), 'invalid_signature');
    await state.unchanged();

    // A refused signature is not used up: the untouched original still goes through, with its own bytes.
    const res = await postForm(gw, '/v1/audio/transcriptions', signedKey, original, signature);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { text: string }).text).toBe(TRANSCRIPT);
    expect(fake.requests.at(-1)!.files![0]!.data.equals(wav)).toBe(true);
  });

  it('refuses a signed upload sent a second time (replay), from fetch and from a captured SDK call', async () => {
    const bytes = await formBytes(transcriptionForm(1));
    const signature = signFor(signedKey, '/v1/audio/transcriptions', bytes.body);
    expect((await postForm(gw, '/v1/audio/transcriptions', signedKey, bytes, signature)).status).toBe(200);

    const captured: SignedRequest[] = [];
    const client = signedSdk(gw, signedKey, { onSigned: (s) => captured.push(s) });
    await client.audio.transcriptions.create({ model: 'whisper', file: await toFile(makeWav(1), 'again.wav', { type: 'audio/wav' }) });
    const sdkCall = captured.at(-1)!;

    const state = await snapshot();
    expect(await expectUnauthorized(await postForm(gw, '/v1/audio/transcriptions', signedKey, bytes, signature), 'invalid_signature')).toMatch(/already used/);
    const replayed = await postForm(gw, new URL(sdkCall.url).pathname, signedKey, { body: sdkCall.body as Bytes, contentType: sdkCall.contentType! }, sdkCall);
    expect(await expectUnauthorized(replayed, 'invalid_signature')).toMatch(/already used/);
    await state.unchanged();
  });

  it('answers a bad key, missing signature headers or a stale timestamp before reading the upload', async () => {
    const state = await snapshot();
    const unknown = await answerToUnfinishedUpload(gw, { authorization: `Bearer omx_live_${'C'.repeat(32)}` });
    expect(unknown).toMatchObject({ status: 401, body: { error: { code: 'invalid_api_key' } } });
    const unsigned = await answerToUnfinishedUpload(gw, { authorization: `Bearer ${signedKey}` });
    expect(unsigned).toMatchObject({ status: 401, body: { error: { code: 'invalid_signature', type: 'authentication_error' } } });
    const ts = String(Number(nowSeconds()) - 400);
    const stale = await answerToUnfinishedUpload(gw, { authorization: `Bearer ${signedKey}`, 'x-omixa-timestamp': ts, 'x-omixa-signature': sign(signedKey, ts, 'POST', '/v1/audio/transcriptions', '') });
    expect(stale).toMatchObject({ status: 401, body: { error: { code: 'signature_expired' } } });
    await state.unchanged();
  });

  it('keeps the 25 MB limit for a signed upload without a declared length: 413 once the body passes it', async () => {
    const state = await snapshot();
    const boundary = 'omixa-signed-big';
    const parts = [
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\nContent-Type: audio/wav\r\n\r\n`),
      ...Array.from({ length: 27 }, () => Buffer.alloc(1024 * 1024)),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ];
    const { timestamp, signature } = signFor(signedKey, '/v1/audio/transcriptions', Buffer.concat(parts));
    const res = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signedKey}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-omixa-timestamp': timestamp, 'x-omixa-signature': signature },
      body: Readable.toWeb(Readable.from(parts)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    await state.unchanged();
  });

  it('leaves keys without the flag as they were: unsigned uploads work, a stray wrong signature is ignored', async () => {
    const file = () => toFile(makeWav(1), 'plain.wav', { type: 'audio/wav' });
    expect((await gw.openai(plainKey).audio.transcriptions.create({ model: 'whisper', file: await file() })).text).toBe(TRANSCRIPT);
    const stray = signedSdk(gw, plainKey, { signingKey: 'not-the-key' });
    expect((await stray.audio.transcriptions.create({ model: 'whisper', file: await file() })).text).toBe(TRANSCRIPT);
    expect(fake.requests.at(-1)!.files![0]!.data.equals(makeWav(1))).toBe(true);
  });
});

describe('HMAC signatures over multipart uploads (OMIXA_REQUIRE_SIGNATURE): image-to-video jobs', () => {
  let azure: AzureVideoFake;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    const setup = await startFundedGateway(
      () => startAzureVideoFake({ stepMs: 80 }),
      (gw, azure) => gw.admin('POST', '/admin/api/deployments', { name: 'sora-eastus2', model: 'sora-2', modality: 'video', endpoint: azure.url, deployment: 'sora', api_key: 'azure-secret-1' }),
      { env: { OMIXA_REQUIRE_SIGNATURE: 'true', OMIXA_JOB_POLL_MS: '30', OMIXA_JOB_POLL_MAX_MS: '120' }, topUpMicros: 50_000_000 },
    );
    ({ fake: azure, gw, key } = setup);
    return setup.close;
  });

  it('submits a signed multipart job, and refuses the same form signed over an empty body before any upstream call', async () => {
    const png = makePng(32, 18, 7);
    const form = new FormData();
    form.set('model', 'sora-2');
    form.set('prompt', 'Slowly pan across the scene');
    form.set('duration', '3');
    form.set('resolution', '480p');
    form.set('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'photo.png');
    const bytes = await formBytes(form);
    const path = '/v1/videos/generations';

    const before = await gw.wallet();
    const posts = azure.requests.filter((r) => r.method === 'POST').length;
    await expectUnauthorized(await postForm(gw, path, key, bytes, signFor(key, path, '')), 'invalid_signature');
    await expectUnauthorized(await postForm(gw, path, key, bytes), 'invalid_signature');
    expect(azure.requests.filter((r) => r.method === 'POST').length).toBe(posts);
    expect(await gw.wallet()).toEqual(before);

    const res = await postForm(gw, path, key, bytes, signFor(key, path, bytes.body));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'queued', duration: 3, resolution: '480p' });
    const create = azure.requests.filter((r) => r.method === 'POST').at(-1)!;
    expect(create.files[0]!.data.equals(png)).toBe(true);
  });
});
