import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { toFile } from 'openai';
import { apiError } from '../support/api-errors.js';
import type { AzureFake } from '../support/fakes/azure-openai.js';
import { makeWav } from '../support/fakes/media-bytes.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';

// Catalog prices: tts-1 0.015 USD per 1k characters (15 micro-USD per character), whisper 0.0001 USD per second.
const TTS_PER_1K = 15_000;
const WHISPER_PER_SECOND = 100;

async function ledgerFor(gw: TestGateway, key: string, requestId: string): Promise<Record<string, number>> {
  const page = await gw.openai(key).get<{ data: { type: string; amount_micros: number; request_id: string }[] }>('/wallet/transactions');
  return Object.fromEntries(page.data.filter((t) => t.request_id === requestId).map((t) => [t.type, t.amount_micros]));
}

describe('audio through Azure deployments', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({
      fake: { deployments: ['tts-1', 'whisper', 'gpt-4o-transcribe'], chunkDelayMs: 40 },
      deployments: [
        { name: 'tts', model: 'tts-1', deployment: 'tts-1', modality: 'audio' },
        { name: 'stt', model: 'whisper', deployment: 'whisper', modality: 'audio' },
        { name: 'stt-4o', model: 'gpt-4o-transcribe', deployment: 'gpt-4o-transcribe', modality: 'audio' },
      ],
    });
    ({ fake, gw, key } = setup);
    return setup.close;
  });

  it('streams speech bytes as the upstream produces them, with its Content-Type, billed per character', async () => {
    fake.setOptions({ reply: () => ({ audioSeconds: 1, audioChunks: 8 }) });
    const input = 'Omixa speaks. '.repeat(90); // 1,260 characters
    const before = await gw.wallet();
    const started = performance.now();
    const response = await gw.openai(key).audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: 'wav' });
    expect(response.headers.get('content-type')).toBe('audio/wav');
    const arrivals: number[] = [];
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      arrivals.push(performance.now() - started);
      chunks.push(Buffer.from(chunk));
    }
    const audio = Buffer.concat(chunks);
    expect(audio.equals(makeWav(1))).toBe(true);
    // 8 chunks 40 ms apart upstream: they reach the client spread out, not in one piece at the end.
    expect(arrivals.length).toBeGreaterThanOrEqual(6);
    expect(arrivals[arrivals.length - 1]! - arrivals[0]!).toBeGreaterThan(7 * 40 * 0.7);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    expect(gaps.filter((g) => g > 15).length).toBeGreaterThanOrEqual(5);

    // 1,260 characters × 15 micro-USD; the hold was two blocks of 1,000 characters.
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(1260 * 15);
    expect(after.locked_micros).toBe(0);
    const requestId = response.headers.get('x-omixa-request-id')!;
    expect(await ledgerFor(gw, key, requestId)).toEqual({ hold: 2 * TTS_PER_1K, capture: 18_900, release: 2 * TTS_PER_1K - 18_900 });
    const row = await gw.admin('GET', `/admin/api/usage/requests/${requestId}`);
    expect(row).toMatchObject({ endpoint: 'audio.speech', status: 'ok', stream: true, cost_micros: 18_900, deployment_name: 'tts' });
    const sent = fake.requests[fake.requests.length - 1]!;
    expect(sent.path).toBe('/openai/deployments/tts-1/audio/speech');
    expect(sent.body).toMatchObject({ input, voice: 'alloy', response_format: 'wav' });
  });

  it("labels speech by its response_format when the upstream sends no Content-Type", async () => {
    const client = gw.openai(key);
    for (const [format, type] of [['wav', 'audio/wav'], ['flac', 'audio/flac'], ['opus', 'audio/opus'], [undefined, 'audio/mpeg']] as const) {
      fake.setOptions({ reply: () => ({ audioSeconds: 0.1, audioChunks: 1, omitAudioType: true }) });
      const response = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hi', ...(format ? { response_format: format } : {}) });
      expect(response.headers.get('content-type'), format ?? 'default').toBe(type);
      await response.arrayBuffer();
    }
  });

  it('answers mp3 by default as audio/mpeg, counting characters as code points', async () => {
    fake.setOptions({ reply: () => ({ audioSeconds: 0.25, audioChunks: 2 }) });
    const before = await gw.wallet();
    const response = await gw.openai(key).audio.speech.create({ model: 'tts-1', voice: 'nova', input: 'héllo 👋 wörld' });
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect((await response.arrayBuffer()).byteLength).toBe(makeWav(0.25).length);
    // 13 code points × 15 micro-USD (the emoji is one character, two UTF-16 units).
    expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(13 * 15);
  });

  it('aborts the upstream when the client hangs up mid-speech; the row is cancelled and the hold settled', async () => {
    fake.setOptions({ reply: () => ({ audioSeconds: 2, audioChunks: 20 }) });
    const abortedBefore = fake.aborted;
    const controller = new AbortController();
    const response = await gw.openai(key).audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'a long story' }, { signal: controller.signal });
    const requestId = response.headers.get('x-omixa-request-id')!;
    try {
      for await (const _chunk of response.body as unknown as AsyncIterable<Uint8Array>) controller.abort();
    } catch {
      // the aborted body throws
    }
    await expect.poll(() => fake.aborted, { timeout: 3000 }).toBeGreaterThan(abortedBefore);
    await expect.poll(async () => (await gw.admin('GET', `/admin/api/usage/requests/${requestId}`)).status, { timeout: 3000 }).toBe('cancelled');
    // The upstream synthesises (and bills) the whole input once it accepted it.
    expect((await gw.admin('GET', `/admin/api/usage/requests/${requestId}`)).cost_micros).toBe('a long story'.length * 15);
    expect((await gw.wallet()).locked_micros).toBe(0);
  });

  it('bills nothing when speech fails upstream, and refuses a missing voice', async () => {
    fake.setOptions({ reply: () => ({ status: 500 }) });
    const before = await gw.wallet();
    const failed = await apiError(gw.openai(key).audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x' }));
    expect(failed.status).toBe(502);
    expect((await gw.wallet()).balance_micros).toBe(before.balance_micros);
    const noVoice = await apiError(gw.openai(key).post('/audio/speech', { body: { model: 'tts-1', input: 'x' } }));
    expect(noVoice.error).toMatchObject({ param: 'voice' });
    fake.setOptions({ reply: undefined });
  });

  it('transcribes a multipart upload as json, asking the upstream for verbose_json and billing its duration', async () => {
    fake.setOptions({ reply: undefined });
    const before = await gw.wallet();
    const file = await toFile(makeWav(2.5), 'speech.wav', { type: 'audio/wav' });
    const { data: result, response } = await gw.openai(key).audio.transcriptions.create({ model: 'whisper', file, language: 'en' }).withResponse();
    expect(result.text).toBe('The quick brown fox jumps over the lazy dog. It was a sunny day.');
    const sent = fake.requests[fake.requests.length - 1]!;
    expect(sent.path).toBe('/openai/deployments/whisper/audio/transcriptions');
    expect(sent.body).toMatchObject({ response_format: 'verbose_json', language: 'en', model: 'whisper' });
    expect(sent.files![0]).toMatchObject({ name: 'file', filename: 'speech.wav' });
    expect(sent.files![0]!.data.equals(makeWav(2.5))).toBe(true);
    // 2.5 s × 100 micro-USD; the hold was the WAV header's 3 s (rounded up).
    expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(250);
    expect(await ledgerFor(gw, key, response.headers.get('x-omixa-request-id')!)).toEqual({ hold: 3 * WHISPER_PER_SECOND, capture: 250, release: 50 });
  });

  it('converts to text, srt, vtt and passes verbose_json through', async () => {
    fake.setOptions({ reply: () => ({ duration: 4, content: 'Hello there. General Kenobi!' }) });
    const client = gw.openai(key);
    const file = () => toFile(makeWav(4), 'a.wav', { type: 'audio/wav' });
    const text = await client.audio.transcriptions.create({ model: 'whisper', file: await file(), response_format: 'text' });
    expect(text).toBe('Hello there. General Kenobi!\n');
    const srt = await client.audio.transcriptions.create({ model: 'whisper', file: await file(), response_format: 'srt' });
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:01,710\nHello there.\n\n2\n00:00:01,710 --> 00:00:04,000\nGeneral Kenobi!\n');
    const vtt = await client.audio.transcriptions.create({ model: 'whisper', file: await file(), response_format: 'vtt' });
    expect(vtt).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:01.710\nHello there.\n\n00:00:01.710 --> 00:00:04.000\nGeneral Kenobi!\n');
    const verbose = await client.audio.transcriptions.create({ model: 'whisper', file: await file(), response_format: 'verbose_json', timestamp_granularities: ['segment'] });
    expect(verbose.duration).toBe(4);
    expect(verbose.segments).toHaveLength(2);
    expect(fake.requests[fake.requests.length - 1]!.body['timestamp_granularities[]']).toBe('segment');
  });

  it('rounds a fractional duration once, half up, and takes file_url / file_base64 in JSON', async () => {
    fake.setOptions({ reply: () => ({ duration: 12.345 }) });
    const before = await gw.wallet();
    const result = await gw.openai(key).post<{ text: string; usage: { seconds: number } }>('/audio/transcriptions', {
      body: { model: 'whisper', file_base64: makeWav(1).toString('base64') },
    });
    expect(result.usage.seconds).toBe(13);
    // 12.345 s × 100 micro-USD/s = 1,234.5 → 1,235.
    expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(1235);
    const upload = fake.requests[fake.requests.length - 1]!.files![0]!;
    expect(upload.filename).toBe('upload.wav');
    expect(upload.contentType).toBe('audio/wav');

    const bad = await apiError(gw.openai(key).post('/audio/transcriptions', { body: { model: 'whisper', file_url: 'file:///etc/hosts' } }));
    expect(bad.status).toBe(400);
    expect(bad.error).toMatchObject({ param: 'file_url' });
  });

  it('bills the tokens a gpt-4o-transcribe deployment reports in usage, without asking it for verbose_json', async () => {
    fake.setOptions({ reply: () => ({ duration: 2.2 }) });
    const before = await gw.wallet();
    const { data: result, response } = await gw.openai(key).audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await toFile(makeWav(2.2), 'b.wav') }).withResponse();
    expect(result.text).toContain('quick brown fox');
    expect(fake.requests[fake.requests.length - 1]!.body.response_format).toBe('json');
    // The json answer is the client's as the upstream wrote it, token usage included.
    const usage = (result as unknown as { usage: { type: string; input_tokens: number; output_tokens: number } }).usage;
    expect(usage).toMatchObject({ type: 'tokens', input_tokens: 22 });
    // 22 audio tokens × $6/MTok + output tokens × $10/MTok, in micro-USD.
    const cost = 22 * 6 + usage.output_tokens * 10;
    expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(cost);
    const row = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
    expect(row).toMatchObject({ cost_micros: cost, usage_source: 'upstream' });
  });

  it('regression: holds enough for what gpt-4o-transcribe reports in tokens, even for a short clip', async () => {
    fake.setOptions({ reply: () => ({ duration: 1 }) });
    const { response } = await gw.openai(key).audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await toFile(makeWav(1), 'short.wav'), prompt: 'Names: Omixa.' }).withResponse();
    const id = response.headers.get('x-omixa-request-id')!;
    // 10 audio tokens × $6/MTok + 16 output tokens × $10/MTok = 220 micro-USD, over the 100 that 1 s costs by the second.
    const ledger = await ledgerFor(gw, key, id);
    expect(ledger.capture).toBe(220);
    expect(ledger.hold).toBeGreaterThanOrEqual(ledger.capture!);
    expect(ledger.release).toBe(ledger.hold! - 220);
    expect(await gw.admin('GET', `/admin/api/usage/requests/${id}`)).toMatchObject({ cost_micros: 220, shortfall_micros: 0 });
  });

  it('regression: answers text, srt, vtt and verbose_json from gpt-4o-transcribe, asking it for json and billing the same tokens', async () => {
    fake.setOptions({ reply: () => ({ duration: 2.2 }) });
    const client = gw.openai(key);
    const file = async () => toFile(makeWav(2.2), 'c.wav');
    const costs: number[] = [];
    const paid = async <T>(call: () => Promise<T>): Promise<T> => {
      const before = (await gw.wallet()).balance_micros;
      const result = await call();
      costs.push(before - (await gw.wallet()).balance_micros);
      return result;
    };
    const text = await paid(async () => client.audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await file(), response_format: 'text' }));
    expect(text).toBe('The quick brown fox jumps over the lazy dog. It was a sunny day.\n');
    const srt = await paid(async () => client.audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await file(), response_format: 'srt' }));
    // One cue over the whole audio: the WAV header's 2.2 s, as the model reports no timing.
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:02,200\nThe quick brown fox jumps over the lazy dog. It was a sunny day.\n');
    const vtt = await paid(async () => client.audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await file(), response_format: 'vtt' }));
    expect(vtt).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:02.200\nThe quick brown fox jumps over the lazy dog. It was a sunny day.\n');
    const verbose = await paid(async () => client.audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await file(), response_format: 'verbose_json' }));
    expect(verbose).toMatchObject({ task: 'transcribe', duration: 2.2, text: 'The quick brown fox jumps over the lazy dog. It was a sunny day.' });
    expect(fake.requests.slice(-4).map((r) => r.body.response_format)).toEqual(['json', 'json', 'json', 'json']);
    const tokens = 22 * 6 + Math.ceil('The quick brown fox jumps over the lazy dog. It was a sunny day.'.length / 4) * 10;
    expect(costs).toEqual([tokens, tokens, tokens, tokens]);
  });

  it('refuses audio over 25 MB with 413, declared or streamed, and an unknown format with 400', async () => {
    const before = await gw.wallet();
    const client = gw.openai(key);
    const huge = await toFile(Buffer.alloc(26 * 1024 * 1024), 'big.mp3', { type: 'audio/mpeg' });
    const declared = await apiError(client.audio.transcriptions.create({ model: 'whisper', file: huge }));
    expect(declared.status).toBe(413);
    expect(declared.error).toMatchObject({ code: 'payload_too_large' });

    // No Content-Length (chunked upload): the multipart reader stops at the limit itself.
    const boundary = 'omixa-test-boundary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\nContent-Type: audio/wav\r\n\r\n`);
    const parts = [head, ...Array.from({ length: 26 }, () => Buffer.alloc(1024 * 1024)), Buffer.from(`\r\n--${boundary}--\r\n`)];
    const res = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Readable.toWeb(Readable.from(parts)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');

    const format = await apiError(client.audio.transcriptions.create({ model: 'whisper', file: await toFile(makeWav(1), 'c.wav'), response_format: 'mp4' as never }));
    expect(format.error).toMatchObject({ param: 'response_format' });
    expect((await gw.wallet()).balance_micros).toBe(before.balance_micros);
    const doctor = await gw.admin('GET', '/admin/api/doctor');
    expect(doctor.ledger_ok).toBe(true);
  });
});
