import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../src-gateway/db/deployments-repository.js';
import { GatewayError } from '../../../src-gateway/errors.js';
import { jobProviderFor } from '../../../src-gateway/jobs/providers/index.js';
import { LYRIA_CLIP_SECONDS, lyriaRequestBody, lyriaResult, vertexLyriaProvider } from '../../../src-gateway/jobs/providers/lyria.js';
import { UpstreamAnswerError, type JobParams } from '../../../src-gateway/jobs/types.js';
import { makeWav } from '../../support/fakes/media-bytes.js';

const deployment = (over: Partial<Deployment> = {}): Deployment => ({
  id: 'dep_lyria', name: 'lyria', provider: 'vertex', model: 'lyria-002', endpoint: '', deployment: 'lyria-002', apiVersion: null,
  region: null, rpm: 0, tpm: 0, hourlyTokens: 0, weight: 1, priority: 0, fastMode: false, enabled: true, secretRef: 'ref', secretHint: null,
  options: { project: 'omixa-music', location: 'us-central1' }, createdAt: 0, updatedAt: 0,
  ...over,
});

const params = (over: Partial<JobParams> = {}): JobParams => ({ prompt: 'An energetic electronic dance track', durationSeconds: 30, n: 1, hasImage: false, ...over });

function refusal(fn: () => unknown): GatewayError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(GatewayError);
  return caught as GatewayError;
}

describe('Lyria request mapping', () => {
  it('maps prompt, negative_prompt and n to the predict body', () => {
    expect(lyriaRequestBody(params({ negativePrompt: 'vocals, slow tempo', n: 3 }))).toEqual({
      instances: [{ prompt: 'An energetic electronic dance track', negative_prompt: 'vocals, slow tempo' }],
      parameters: { sample_count: 3 },
    });
    // No seed is ever sent: Lyria refuses it together with sample_count.
    expect(lyriaRequestBody(params())).toEqual({ instances: [{ prompt: 'An energetic electronic dance track' }], parameters: { sample_count: 1 } });
  });

  it('refuses a duration other than the 30-second clip, and lyrics, naming the field', () => {
    expect(LYRIA_CLIP_SECONDS).toBe(30);
    for (const seconds of [10, 29, 31, 120]) {
      const err = refusal(() => lyriaRequestBody(params({ durationSeconds: seconds })));
      expect([err.status, err.code, err.param]).toEqual([400, 'invalid_request', 'duration']);
      expect(err.message).toContain('30-second clips');
    }
    const lyrics = refusal(() => lyriaRequestBody(params({ lyrics: 'la la la' })));
    expect([lyrics.status, lyrics.param, lyrics.message]).toEqual([400, 'lyrics', "Lyria makes instrumental music only: 'lyrics' is not supported."]);
  });

  it('builds the :predict call on the deployment\'s project and location, without credentials (authorize adds them)', () => {
    const call = vertexLyriaProvider.create({ deployment: deployment(), secret: 'not-a-key' }, 'music', params({ n: 2 }));
    expect(call).toMatchObject({
      method: 'POST',
      url: 'https://us-central1-aiplatform.googleapis.com/v1/projects/omixa-music/locations/us-central1/publishers/google/models/lyria-002:predict',
      headers: { 'content-type': 'application/json' },
    });
    expect(call.headers.authorization).toBeUndefined();
    expect(JSON.parse(call.body as string)).toEqual({ instances: [{ prompt: 'An energetic electronic dance track' }], parameters: { sample_count: 2 } });
    const global = vertexLyriaProvider.create({ deployment: deployment({ options: { project: 'p' }, region: 'global' }), secret: 's' }, 'music', params());
    expect(global.url).toBe('https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/lyria-002:predict');
  });
});

describe('Lyria answer mapping', () => {
  it('reads every clip inline with the seconds its WAV header states, under either field name', () => {
    const a = makeWav(2.5, 8000);
    const b = makeWav(1, 8000);
    const state = lyriaResult({ predictions: [{ bytesBase64Encoded: a.toString('base64'), mimeType: 'audio/wav' }, { audioContent: b.toString('base64'), mimeType: 'audio/wav' }], deployedModelId: '1' });
    expect(state).toEqual({
      state: 'completed',
      upstreamStatus: 'predicted',
      outputs: [
        { base64: a.toString('base64'), seconds: 2.5 },
        { base64: b.toString('base64'), seconds: 1 },
      ],
    });
  });

  it('leaves the seconds unknown (billed as requested) when the bytes are no readable WAV', () => {
    const state = lyriaResult({ predictions: [{ bytesBase64Encoded: Buffer.from('not a wav at all').toString('base64') }] });
    expect(state).toMatchObject({ state: 'completed', outputs: [{ seconds: null }] });
  });

  it('fails the job when no clip came back, with the safety filter\'s reason where given', () => {
    expect(lyriaResult({ predictions: [] })).toEqual({ state: 'failed', upstreamStatus: 'predicted', error: 'The upstream finished without audio.' });
    expect(lyriaResult({ predictions: [{ raiFilteredReason: 'The prompt names a recording artist.' }] })).toEqual({
      state: 'failed',
      upstreamStatus: 'predicted',
      error: 'The upstream content filter blocked the music: The prompt names a recording artist.',
    });
  });

  it('throws UpstreamAnswerError (failed over like a 5xx) for an answer without predictions', () => {
    for (const body of [undefined, null, 'text', {}, { predictions: 'x' }, { error: { code: 500 } }]) {
      expect(() => lyriaResult(body), JSON.stringify(body)).toThrow(UpstreamAnswerError);
    }
  });
});

describe('Lyria job provider', () => {
  const target = { deployment: deployment(), secret: 'not-a-key' };

  it('is the Vertex music provider, settles at submit and has nothing to poll or cancel', () => {
    expect(jobProviderFor('vertex', 'music')).toBe(vertexLyriaProvider);
    expect(jobProviderFor('vertex', 'video')?.kinds).toEqual(['video']);
    expect(vertexLyriaProvider.finished).toBe(lyriaResult);
    expect(vertexLyriaProvider.cancel).toBeUndefined();
    expect(() => vertexLyriaProvider.created({ predictions: [] })).toThrow(UpstreamAnswerError);
    expect(() => vertexLyriaProvider.poll(target, 'x')).toThrow(UpstreamAnswerError);
    expect(() => vertexLyriaProvider.status({}, target, 'x')).toThrow(UpstreamAnswerError);
  });

  it('sends the access token to the Vertex host only, and refuses a deployment without a project', async () => {
    const elsewhere = { method: 'GET' as const, url: 'https://cdn.example.com/clip.wav', headers: {} };
    expect(await vertexLyriaProvider.authorize!(elsewhere, target)).toBe(elsewhere);
    const predict = vertexLyriaProvider.create({ deployment: deployment({ options: {} }), secret: 'not-a-key' }, 'music', params());
    await expect(vertexLyriaProvider.authorize!(predict, { deployment: deployment({ options: {} }), secret: 'not-a-key' })).rejects.toThrow(/no project/);
  });
});
