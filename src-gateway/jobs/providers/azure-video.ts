import type { Deployment } from '../../db/deployments-repository.js';
import { encodeMultipart } from '../../providers/multipart.js';
import { numberField, objectOf, sameOrigin, UpstreamAnswerError, type JobCall, type JobOutput, type JobProvider, type JobState } from '../types.js';

/**
 * Azure OpenAI video generation jobs (Sora), the resource-level `/openai/v1/video/generations` API:
 *
 * - create: `POST {endpoint}/openai/v1/video/generations/jobs?api-version=preview` with
 *   `{model, prompt, width, height, n_seconds, n_variants}` (JSON), or the same fields as multipart with the image in
 *   `files` and `inpaint_items` (JSON: the image placed at frame 0, uncropped) for image-to-video; answers
 *   `{object:"video.generation.job", id, status, generations:[], …}`;
 * - poll: `GET …/video/generations/jobs/{id}?api-version=preview`: `status` preprocessing | queued | running |
 *   processing | succeeded | failed | cancelled, `generations[]` ({id, n_seconds, width, height}) once succeeded,
 *   `failure_reason` when failed;
 * - download: `GET …/video/generations/{generation id}/content/video?api-version=preview` (MP4 bytes);
 * - cancel: `DELETE …/video/generations/jobs/{id}?api-version=preview`.
 *
 * The key goes in `api-key`; the deployment name goes in `model`. The API is versioned `preview` whatever data-plane
 * version the deployment's chat calls use; `options.video_api_version` overrides it.
 */

export const AZURE_VIDEO_API_VERSION = 'preview';

function base(deployment: Deployment): string {
  return deployment.endpoint.replace(/\/+$/, '').replace(/\/openai\/v1$/, '').replace(/\/openai$/, '');
}

function apiVersion(deployment: Deployment): string {
  const override = deployment.options?.video_api_version;
  return typeof override === 'string' && override.trim() ? override.trim() : AZURE_VIDEO_API_VERSION;
}

/** `{endpoint}/openai/v1/video/generations/{path}?api-version=…`. */
export function azureVideoUrl(deployment: Deployment, path: string): string {
  return `${base(deployment)}/openai/v1/video/generations/${path}?api-version=${encodeURIComponent(apiVersion(deployment))}`;
}

/** Azure's job status → the gateway's. Unknown statuses count as still running: a new upstream state must not end a paid job. */
export function azureJobState(status: string): 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled' {
  switch (status) {
    case 'preprocessing':
    case 'queued':
      return 'queued';
    case 'succeeded':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
    default:
      return 'in_progress';
  }
}

const FAILURE_REASONS: Record<string, string> = {
  input_moderation: 'The prompt or image was blocked by the upstream content filter.',
  output_moderation: 'The generated video was blocked by the upstream content filter.',
  internal_error: 'The upstream failed while generating the video.',
};

export const azureVideoProvider: JobProvider = {
  id: 'azure',
  kinds: ['video'],

  create({ deployment, secret }, _kind, params, image): JobCall {
    const fields = {
      model: deployment.deployment,
      prompt: params.prompt,
      width: params.width ?? 1280,
      height: params.height ?? 720,
      n_seconds: params.durationSeconds,
      n_variants: params.n,
    };
    const url = azureVideoUrl(deployment, 'jobs');
    if (!image) return { method: 'POST', url, headers: { 'content-type': 'application/json', 'api-key': secret }, body: JSON.stringify(fields) };
    // Image-to-video: the image is an inpainting item at the first frame, covering the whole frame.
    const inpaint = [{ frame_index: 0, type: 'image', file_name: image.filename, crop_bounds: { left_fraction: 0, top_fraction: 0, right_fraction: 1, bottom_fraction: 1 } }];
    const text = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
    const { contentType, body } = encodeMultipart({ ...text, inpaint_items: JSON.stringify(inpaint) }, [
      { field: 'files', filename: image.filename, contentType: image.mimeType, data: image.data },
    ]);
    return { method: 'POST', url, headers: { 'content-type': contentType, 'api-key': secret }, body };
  },

  created(body): string {
    const id = objectOf(body).id;
    if (typeof id !== 'string' || id.length === 0) throw new UpstreamAnswerError('the job answer has no id');
    return id;
  },

  poll({ deployment, secret }, upstreamId): JobCall {
    return { method: 'GET', url: azureVideoUrl(deployment, `jobs/${encodeURIComponent(upstreamId)}`), headers: { 'api-key': secret } };
  },

  status(body, { deployment }): JobState {
    const job = objectOf(body);
    if (typeof job.status !== 'string') throw new UpstreamAnswerError('the job answer has no status');
    const upstreamStatus = job.status;
    const state = azureJobState(upstreamStatus);
    if (state === 'completed') {
      const generations = Array.isArray(job.generations) ? job.generations.map(objectOf) : [];
      const outputs: JobOutput[] = generations
        .filter((g) => typeof g.id === 'string')
        .map((g) => ({ url: azureVideoUrl(deployment, `${encodeURIComponent(g.id as string)}/content/video`), seconds: numberField(g.n_seconds) ?? null }));
      if (outputs.length === 0) return { state: 'failed', upstreamStatus, error: 'The upstream finished without a video.' };
      return { state, upstreamStatus, outputs };
    }
    if (state === 'failed') {
      const reason = typeof job.failure_reason === 'string' ? job.failure_reason : '';
      return { state, upstreamStatus, error: FAILURE_REASONS[reason] ?? (reason ? `The upstream failed: ${reason}.` : 'The upstream failed to generate the video.') };
    }
    if (state === 'cancelled') return { state, upstreamStatus };
    return { state, upstreamStatus, progress: numberField(job.progress) ?? null };
  },

  download({ deployment, secret }, output): JobCall {
    const url = output.url ?? '';
    return { method: 'GET', url, headers: sameOrigin(url, deployment.endpoint) ? { 'api-key': secret } : {} };
  },

  cancel({ deployment, secret }, upstreamId): JobCall {
    return { method: 'DELETE', url: azureVideoUrl(deployment, `jobs/${encodeURIComponent(upstreamId)}`), headers: { 'api-key': secret } };
  },
};
