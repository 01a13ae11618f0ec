/**
 * Checks the media surface of the Azure OpenAI fake against the official `openai` SDK's Azure client, so gateway
 * tests of embeddings, images and audio run against the wire format a real Azure client understands.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureOpenAI, APIError, toFile } from 'openai';
import { startAzureFake, type AzureFake } from '../../support/fakes/azure-openai.js';
import { makePng, makeWav } from '../../support/fakes/media-bytes.js';

const KEY = 'azure-secret-1';
let fake: AzureFake;

const client = (deployment: string) => new AzureOpenAI({ endpoint: fake.url, apiKey: KEY, apiVersion: '2025-04-01-preview', deployment, maxRetries: 0 });

beforeAll(async () => {
  fake = await startAzureFake({ deployments: ['text-embedding-3-small', 'gpt-image-1', 'dall-e-3', 'tts-1', 'whisper', 'gpt-4o-transcribe'], chunkDelayMs: 30 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.setOptions({ reply: undefined });
  fake.requests.length = 0;
});

describe('Azure OpenAI fake: media endpoints', () => {
  it('embeds with base64 vectors the SDK decodes, dimensions honoured, usage counted', async () => {
    const res = await client('text-embedding-3-small').embeddings.create({ model: 'text-embedding-3-small', input: ['abcd', 'abcdefgh'], dimensions: 4 });
    expect(res.data.map((d) => d.embedding.length)).toEqual([4, 4]);
    expect(res.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(fake.requests[0]!.path).toBe('/openai/deployments/text-embedding-3-small/embeddings');
    expect(fake.requests[0]!.body.encoding_format).toBe('base64');
  });

  it('generates images: gpt-image answers base64 and refuses response_format; dall-e answers a fetchable URL', async () => {
    const gpt = await client('gpt-image-1').images.generate({ model: 'gpt-image-1', prompt: 'fox', n: 2 });
    expect(gpt.data!.map((d) => Buffer.from(d.b64_json!, 'base64').equals(makePng(16, 16, 1)) || Buffer.from(d.b64_json!, 'base64').equals(makePng(16, 16, 2)))).toEqual([true, true]);
    const refused = await client('gpt-image-1').images.generate({ model: 'gpt-image-1', prompt: 'fox', response_format: 'url' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(APIError);
    expect((refused as APIError).status).toBe(400);

    const dalle = await client('dall-e-3').images.generate({ model: 'dall-e-3', prompt: 'owl' });
    expect(dalle.data![0]!.revised_prompt).toBe('A picture of owl');
    const png = await fetch(dalle.data![0]!.url!);
    expect(png.headers.get('content-type')).toBe('image/png');
  });

  it('edits a PNG uploaded as multipart and refuses a non-PNG', async () => {
    const edited = await client('gpt-image-1').images.edit({ model: 'gpt-image-1', prompt: 'hat', image: await toFile(makePng(4, 4), 'a.png', { type: 'image/png' }) });
    expect(edited.data).toHaveLength(1);
    expect(fake.requests[0]!.files![0]).toMatchObject({ name: 'image', filename: 'a.png' });
    const bad = await client('gpt-image-1').images.edit({ model: 'gpt-image-1', prompt: 'hat', image: await toFile(Buffer.from('GIF89a'), 'a.gif') }).catch((e: unknown) => e);
    expect((bad as APIError).status).toBe(400);
  });

  it('streams speech as audio bytes in chunks spread over time', async () => {
    fake.setOptions({ reply: () => ({ audioSeconds: 0.5, audioChunks: 5 }) });
    const res = await client('tts-1').audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hi', response_format: 'wav' });
    expect(res.headers.get('content-type')).toBe('audio/wav');
    const times: number[] = [];
    const parts: Buffer[] = [];
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      times.push(performance.now());
      parts.push(Buffer.from(chunk));
    }
    expect(Buffer.concat(parts).equals(makeWav(0.5))).toBe(true);
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThan(4 * 30 * 0.7);
  });

  it('transcribes in every format, with the WAV duration in verbose_json; gpt-4o-transcribe takes only json and text', async () => {
    const file = () => toFile(makeWav(3), 'a.wav', { type: 'audio/wav' });
    const verbose = await client('whisper').audio.transcriptions.create({ model: 'whisper', file: await file(), response_format: 'verbose_json' });
    expect(verbose.duration).toBe(3);
    expect(verbose.segments!.at(-1)!.end).toBe(3);
    const json = await client('whisper').audio.transcriptions.create({ model: 'whisper', file: await file() });
    expect(json.text).toBe(verbose.text);
    const srt = await client('whisper').audio.transcriptions.create({ model: 'whisper', file: await file(), response_format: 'srt' });
    expect(srt.startsWith('1\n00:00:00,000 --> ')).toBe(true);
    const refused = await client('gpt-4o-transcribe').audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await file(), response_format: 'verbose_json' }).catch((e: unknown) => e);
    expect((refused as APIError).status).toBe(400);
    // whisper's json usage counts seconds; gpt-4o-transcribe's counts tokens, as the real API reports them.
    expect((json as unknown as { usage: unknown }).usage).toEqual({ type: 'duration', seconds: 3 });
    const tokens = await client('gpt-4o-transcribe').audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await file() });
    expect((tokens as unknown as { usage: unknown }).usage).toEqual({
      type: 'tokens', input_tokens: 30, input_token_details: { text_tokens: 0, audio_tokens: 30 }, output_tokens: Math.ceil(tokens.text.length / 4), total_tokens: 30 + Math.ceil(tokens.text.length / 4),
    });
  });
});
