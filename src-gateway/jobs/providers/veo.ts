import type { Deployment } from '../../db/deployments-repository.js';
import { aspectRatioOf } from '../../domain/media-jobs.js';
import { GEMINI_DEFAULT_ENDPOINT } from '../../providers/gemini/api.js';
import { vertexChatUrl, vertexTarget } from '../../providers/vertex/api.js';
import { vertexAccessToken } from '../../providers/vertex/access-token.js';
import { numberField, objectOf, sameOrigin, UpstreamAnswerError, type JobCall, type JobImage, type JobOutput, type JobParams, type JobProvider, type JobState, type JobTarget } from '../types.js';

/**
 * Google Veo as long-running operations, on both Google surfaces:
 *
 * - Gemini API: `POST {endpoint}/v1beta/models/{model}:predictLongRunning` (key in `x-goog-api-key`) answers
 *   `{name: "models/{model}/operations/{id}"}`; `GET {endpoint}/v1beta/{name}` until `done`; the result is
 *   `response.generateVideoResponse.generatedSamples[].video.uri`, downloaded with the same key.
 * - Vertex AI: `POST …/projects/{p}/locations/{l}/publishers/google/models/{model}:predictLongRunning` (OAuth token
 *   from the service account) answers `{name: "projects/…/operations/{id}"}`; `POST …/models/{model}:fetchPredictOperation`
 *   with `{operationName}` until `done`; the result is `response.videos[]` with `bytesBase64Encoded` (or `gcsUri` when
 *   the deployment sets `options.storage_uri`, downloaded through the Cloud Storage JSON API with the same token).
 *
 * Request: `instances: [{prompt, image?: {bytesBase64Encoded, mimeType}}]`, `parameters: {aspectRatio,
 * durationSeconds, resolution, sampleCount, negativePrompt}`. A failed operation carries `error: {code, message}`; a
 * finished one whose samples were all filtered carries `raiMediaFilteredCount` / `raiMediaFilteredReasons` instead.
 * Neither surface documents cancelling a Veo operation, so these jobs cannot be cancelled.
 */

/** The Veo request body for a job. */
export function veoRequestBody(params: JobParams, image: JobImage | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const instance: Record<string, unknown> = { prompt: params.prompt };
  if (image) instance.image = { bytesBase64Encoded: image.data.toString('base64'), mimeType: image.mimeType };
  const parameters: Record<string, unknown> = {
    aspectRatio: aspectRatioOf({ width: params.width ?? 1280, height: params.height ?? 720 }),
    durationSeconds: params.durationSeconds,
    sampleCount: params.n,
    ...extra,
  };
  // Veo renders 720p and 1080p; other sizes are left to the model's default rather than refused here.
  if (params.resolution === '720p' || params.resolution === '1080p') parameters.resolution = params.resolution;
  if (params.negativePrompt) parameters.negativePrompt = params.negativePrompt;
  return { instances: [instance], parameters };
}

/** The operation name from a `predictLongRunning` answer. */
function operationName(body: unknown): string {
  const name = objectOf(body).name;
  if (typeof name !== 'string' || !/^[\w./-]+$/.test(name) || name.includes('..')) throw new UpstreamAnswerError('the operation answer has no usable name');
  return name;
}

/**
 * A Veo operation → the gateway's job state. `samples` picks the surface's result list out of `response` and maps
 * each to an output.
 */
export function veoOperationState(body: unknown, samples: (response: Record<string, unknown>) => JobOutput[]): JobState {
  const op = objectOf(body);
  if (typeof op.name !== 'string' && op.done === undefined) throw new UpstreamAnswerError('not an operation');
  const error = objectOf(op.error);
  if (Object.keys(error).length > 0) {
    const message = typeof error.message === 'string' ? error.message : 'The upstream failed to generate the video.';
    return { state: 'failed', upstreamStatus: 'error', error: message };
  }
  if (op.done !== true) {
    // An operation that exists is being worked on: Veo reports no separate queue.
    const progress = numberField(objectOf(op.metadata).progressPercent);
    return { state: 'in_progress', upstreamStatus: 'running', progress: progress ?? null };
  }
  const response = objectOf(op.response);
  const outputs = samples(response);
  if (outputs.length > 0) return { state: 'completed', upstreamStatus: 'done', outputs };
  const inner = objectOf(response.generateVideoResponse ?? response);
  const reasons = Array.isArray(inner.raiMediaFilteredReasons) ? inner.raiMediaFilteredReasons.filter((r) => typeof r === 'string') : [];
  const filtered = numberField(inner.raiMediaFilteredCount) ?? 0;
  const why = filtered > 0 ? `The upstream content filter blocked the video${reasons.length ? `: ${reasons.join(' ')}` : '.'}` : 'The upstream finished without a video.';
  return { state: 'failed', upstreamStatus: 'done', error: why };
}

/** Gemini API samples: `generateVideoResponse.generatedSamples[].video` with a `uri` (or inline `encodedVideo`). */
export function geminiSamples(response: Record<string, unknown>): JobOutput[] {
  const list = objectOf(response.generateVideoResponse).generatedSamples;
  const out: JobOutput[] = [];
  for (const sample of Array.isArray(list) ? list : []) {
    const video = objectOf(objectOf(sample).video);
    if (typeof video.uri === 'string') out.push({ url: video.uri, seconds: null });
    else if (typeof video.encodedVideo === 'string') out.push({ base64: video.encodedVideo, seconds: null });
  }
  return out;
}

/** Vertex samples: `videos[]` with `bytesBase64Encoded` or `gcsUri` (`gs://bucket/object`). */
export function vertexSamples(response: Record<string, unknown>): JobOutput[] {
  const out: JobOutput[] = [];
  for (const item of Array.isArray(response.videos) ? response.videos : []) {
    const video = objectOf(item);
    if (typeof video.bytesBase64Encoded === 'string') out.push({ base64: video.bytesBase64Encoded, seconds: null });
    else if (typeof video.gcsUri === 'string') {
      const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(video.gcsUri);
      if (match) out.push({ url: `${GCS_API}/b/${encodeURIComponent(match[1]!)}/o/${encodeURIComponent(match[2]!)}?alt=media`, seconds: null });
    }
  }
  return out;
}

const GCS_API = 'https://storage.googleapis.com/storage/v1';

function geminiBase(deployment: Deployment): string {
  return (deployment.endpoint || GEMINI_DEFAULT_ENDPOINT).replace(/\/+$/, '').replace(/\/v1beta$/, '');
}

export const geminiVeoProvider: JobProvider = {
  id: 'gemini',
  kinds: ['video'],
  create({ deployment, secret }, _kind, params, image) {
    return {
      method: 'POST',
      url: `${geminiBase(deployment)}/v1beta/models/${encodeURIComponent(deployment.deployment)}:predictLongRunning`,
      headers: { 'content-type': 'application/json', 'x-goog-api-key': secret },
      body: JSON.stringify(veoRequestBody(params, image)),
    };
  },
  created: operationName,
  poll({ deployment, secret }, name) {
    return { method: 'GET', url: `${geminiBase(deployment)}/v1beta/${name}`, headers: { 'x-goog-api-key': secret } };
  },
  status: (body) => veoOperationState(body, geminiSamples),
  download({ deployment, secret }, output): JobCall {
    const url = output.url ?? '';
    const headers: Record<string, string> = sameOrigin(url, geminiBase(deployment)) ? { 'x-goog-api-key': secret } : {};
    return { method: 'GET', url, headers };
  },
};

/** `…/v1/projects/{p}/locations/{l}/publishers/google/models/{model}` on the deployment's regional host. */
export function vertexModelUrl({ deployment, secret }: JobTarget): string {
  const { project, location } = vertexTarget(deployment, secret);
  return vertexChatUrl(deployment.endpoint, project ?? '', location, deployment.deployment, false).replace(/:generateContent$/, '');
}

export const vertexVeoProvider: JobProvider = {
  id: 'vertex',
  kinds: ['video'],
  create(target, _kind, params, image) {
    const storage = target.deployment.options?.storage_uri;
    const extra = typeof storage === 'string' && storage.startsWith('gs://') ? { storageUri: storage } : {};
    return { method: 'POST', url: `${vertexModelUrl(target)}:predictLongRunning`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(veoRequestBody(params, image, extra)) };
  },
  created: operationName,
  poll(target, name) {
    return { method: 'POST', url: `${vertexModelUrl(target)}:fetchPredictOperation`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operationName: name }) };
  },
  status: (body) => veoOperationState(body, vertexSamples),
  download(_target, output) {
    return { method: 'GET', url: output.url ?? '', headers: {} };
  },
  async authorize(call, target) {
    // The token goes to the Vertex host and to Cloud Storage (gcsUri results), nowhere else.
    const vertexOrigin = new URL(vertexModelUrl(target)).origin;
    if (!sameOrigin(call.url, vertexOrigin) && !sameOrigin(call.url, GCS_API)) return call;
    return withVertexToken(call, target);
  },
};

/** `call` with the deployment's service-account access token; rejects when the deployment names no project. */
export async function withVertexToken(call: JobCall, target: JobTarget): Promise<JobCall> {
  if (!vertexTarget(target.deployment, target.secret).project) {
    throw new Error('no project: set options.project on the deployment or use a service-account key with project_id');
  }
  const token = await vertexAccessToken(target.deployment.id, target.secret);
  return { ...call, headers: { ...call.headers, authorization: `Bearer ${token}` } };
}
