import { gatewayError } from '../../errors.js';
import { wavDurationSeconds } from '../../domain/audio-duration.js';
import { objectOf, sameOrigin, UpstreamAnswerError, type FinishedJobState, type JobCall, type JobOutput, type JobParams, type JobProvider } from '../types.js';
import { vertexModelUrl, withVertexToken } from './veo.js';

/**
 * Google Lyria 2 (`lyria-002`) music on Vertex AI (`provider: "vertex"`, the deployment's `deployment` is the model id).
 * Unlike the other job upstreams Lyria is synchronous: one call makes the music.
 *
 * - `POST …/projects/{p}/locations/{l}/publishers/google/models/{model}:predict` (OAuth token from the service account)
 *   with `{instances: [{prompt, negative_prompt?}], parameters: {sample_count}}`;
 * - it answers, once the music is made (typically 10–20 s), `{predictions: [{bytesBase64Encoded, mimeType:
 *   "audio/wav"}, …]}`: one 48 kHz WAV clip of about 30 s per sample (the reference's sample shows the bytes as
 *   `audioContent`; both names are read).
 *
 * So the job is settled at submit (see `JobProvider.finished`): there is nothing to poll, and nothing left to cancel.
 * Each clip is billed at the length its WAV header states (the requested 30 s where the header cannot be read).
 *
 * Mapping of the gateway's request: `prompt`, `negative_prompt`, `n` → `sample_count` (1–4, as Lyria allows). Lyria
 * makes clips of one fixed length and instrumental music only, so a `duration` other than 30 and any `lyrics` are
 * refused with a 400 naming the field rather than silently ignored (the client would pay for what it did not ask
 * for). Google's `seed` cannot be combined with `sample_count` and the gateway's request has no seed, so none is sent.
 * Google's errors (`{error: {code, message, status}}`) go through the failover loop of every billed call: a 400 about
 * the request is the client's, 429 and 5xx move on to the next deployment.
 */

/** The length of every Lyria 2 clip, in seconds. */
export const LYRIA_CLIP_SECONDS = 30;

/** The `:predict` body for a music job; throws a 400 `invalid_request` for what Lyria cannot make. */
export function lyriaRequestBody(params: JobParams): Record<string, unknown> {
  if (params.durationSeconds !== LYRIA_CLIP_SECONDS) {
    throw gatewayError('invalid_request', `Lyria makes ${LYRIA_CLIP_SECONDS}-second clips: leave 'duration' out or set it to ${LYRIA_CLIP_SECONDS}.`, { param: 'duration' });
  }
  if (params.lyrics) throw gatewayError('invalid_request', "Lyria makes instrumental music only: 'lyrics' is not supported.", { param: 'lyrics' });
  const instance: Record<string, unknown> = { prompt: params.prompt };
  if (params.negativePrompt) instance.negative_prompt = params.negativePrompt;
  return { instances: [instance], parameters: { sample_count: params.n } };
}

/** Seconds of a WAV clip to the millisecond, or null when its header cannot be read. */
function clipSeconds(base64: string): number | null {
  const seconds = wavDurationSeconds(Buffer.from(base64, 'base64'));
  return seconds === undefined ? null : Math.round(seconds * 1000) / 1000;
}

/**
 * A `:predict` answer → the job's end: completed with one inline output per clip, or failed when no clip came back
 * (with the safety filter's reason where Google gives one). Throws UpstreamAnswerError when it has no predictions list.
 */
export function lyriaResult(body: unknown): FinishedJobState {
  const predictions = objectOf(body).predictions;
  if (!Array.isArray(predictions)) throw new UpstreamAnswerError('the predict answer has no predictions');
  const outputs: JobOutput[] = [];
  const reasons: string[] = [];
  for (const item of predictions) {
    const prediction = objectOf(item);
    const audio = typeof prediction.bytesBase64Encoded === 'string' ? prediction.bytesBase64Encoded : prediction.audioContent;
    if (typeof audio === 'string' && audio.length > 0) outputs.push({ base64: audio, seconds: clipSeconds(audio) });
    else if (typeof prediction.raiFilteredReason === 'string') reasons.push(prediction.raiFilteredReason);
  }
  if (outputs.length > 0) return { state: 'completed', upstreamStatus: 'predicted', outputs };
  const error = reasons.length > 0 ? `The upstream content filter blocked the music: ${reasons.join(' ').slice(0, 300)}` : 'The upstream finished without audio.';
  return { state: 'failed', upstreamStatus: 'predicted', error };
}

/** Lyria jobs end at submit: the runner has nothing to ask the upstream afterwards. */
function nothingToPoll(): never {
  throw new UpstreamAnswerError('Lyria jobs end at submit: there is no upstream job to poll');
}

export const vertexLyriaProvider: JobProvider = {
  id: 'vertex',
  kinds: ['music'],
  create(target, _kind, params): JobCall {
    return { method: 'POST', url: `${vertexModelUrl(target)}:predict`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(lyriaRequestBody(params)) };
  },
  finished: lyriaResult,
  created: nothingToPoll,
  poll: nothingToPoll,
  status: nothingToPoll,
  download(_target, output) {
    // Outputs are inline; a URL would be no Vertex resource, so it is fetched without credentials.
    return { method: 'GET', url: output.url ?? '', headers: {} };
  },
  async authorize(call, target) {
    // The token goes to the Vertex host only.
    return sameOrigin(call.url, vertexModelUrl(target)) ? withVertexToken(call, target) : call;
  },
};
