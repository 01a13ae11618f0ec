import type { Deployment } from '../../db/deployments-repository.js';
import { numberField, objectOf, sameOrigin, UpstreamAnswerError, type JobCall, type JobOutput, type JobProvider, type JobState } from '../types.js';

/**
 * Music generation jobs on an OpenAI-compatible server (`provider: "openai-compatible"`, endpoint = the base URL
 * including `/v1`, secret = a Bearer token or `none`). No public music-job API is widely shared, so the gateway
 * defines the one it speaks, shaped like the rest of the OpenAI-style surface:
 *
 * - `POST {base}/music/generations` with `{model, prompt, duration, n, negative_prompt?, lyrics?}` → `{id, status}`;
 * - `GET {base}/music/generations/{id}` → `{id, status, progress?, audio_url?, audio_urls?, duration?, durations?,
 *   error?}` where `status` is `queued | in_progress | completed | failed | cancelled` (`running`, `succeeded` and
 *   `canceled` are read as synonyms), `audio_url(s)` are absolute or relative to the base, `duration(s)` are the actual
 *   seconds of each track, and `error` is a string or `{message}`;
 * - `POST {base}/music/generations/{id}/cancel` → the job, now `cancelled`;
 * - the audio itself: `GET` on each `audio_url` (the token is sent only when it is on the base's origin).
 */

function base(deployment: Deployment): string {
  return deployment.endpoint.replace(/\/+$/, '');
}

function bearer(secret: string): Record<string, string> {
  return secret && secret !== 'none' ? { authorization: `Bearer ${secret}` } : {};
}

/** The documented statuses (and their common synonyms) → the gateway's. Unknown ones count as still running. */
export function musicJobState(status: string): 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled' {
  switch (status.toLowerCase()) {
    case 'queued':
    case 'pending':
      return 'queued';
    case 'completed':
    case 'succeeded':
      return 'completed';
    case 'failed':
    case 'error':
      return 'failed';
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
    default:
      return 'in_progress';
  }
}

function jobPath(deployment: Deployment, id?: string, action?: string): string {
  return `${base(deployment)}/music/generations${id === undefined ? '' : `/${encodeURIComponent(id)}`}${action ? `/${action}` : ''}`;
}

/** The tracks of a completed job: `audio_urls` (or `audio_url`), each with its `durations[i]` (or `duration`). */
export function musicOutputs(job: Record<string, unknown>, baseUrl: string): JobOutput[] {
  const urls = Array.isArray(job.audio_urls) ? job.audio_urls : typeof job.audio_url === 'string' ? [job.audio_url] : [];
  const durations = Array.isArray(job.durations) ? job.durations : [job.duration];
  const out: JobOutput[] = [];
  urls.forEach((url, i) => {
    if (typeof url !== 'string') return;
    let absolute: string;
    try {
      absolute = new URL(url, `${baseUrl}/`).href;
    } catch {
      return;
    }
    out.push({ url: absolute, seconds: numberField(durations[i] ?? (urls.length === 1 ? job.duration : undefined)) ?? null });
  });
  return out;
}

export const compatibleMusicProvider: JobProvider = {
  id: 'openai-compatible',
  kinds: ['music'],

  create({ deployment, secret }, _kind, params): JobCall {
    const body: Record<string, unknown> = { model: deployment.deployment, prompt: params.prompt, duration: params.durationSeconds, n: params.n };
    if (params.negativePrompt) body.negative_prompt = params.negativePrompt;
    if (params.lyrics) body.lyrics = params.lyrics;
    return { method: 'POST', url: jobPath(deployment), headers: { 'content-type': 'application/json', ...bearer(secret) }, body: JSON.stringify(body) };
  },

  created(body): string {
    const id = objectOf(body).id;
    if (typeof id !== 'string' || id.length === 0) throw new UpstreamAnswerError('the job answer has no id');
    return id;
  },

  poll({ deployment, secret }, id): JobCall {
    return { method: 'GET', url: jobPath(deployment, id), headers: bearer(secret) };
  },

  status(body, { deployment }): JobState {
    const job = objectOf(body);
    if (typeof job.status !== 'string') throw new UpstreamAnswerError('the job answer has no status');
    const upstreamStatus = job.status;
    const state = musicJobState(upstreamStatus);
    if (state === 'completed') {
      const outputs = musicOutputs(job, base(deployment));
      if (outputs.length === 0) return { state: 'failed', upstreamStatus, error: 'The upstream finished without audio.' };
      return { state, upstreamStatus, outputs };
    }
    if (state === 'failed') {
      const error = typeof job.error === 'string' ? job.error : objectOf(job.error).message;
      return { state, upstreamStatus, error: typeof error === 'string' && error ? `The upstream failed: ${error.slice(0, 300)}` : 'The upstream failed to generate the music.' };
    }
    if (state === 'cancelled') return { state, upstreamStatus };
    return { state, upstreamStatus, progress: numberField(job.progress) ?? null };
  },

  download({ deployment, secret }, output): JobCall {
    const url = output.url ?? '';
    return { method: 'GET', url, headers: sameOrigin(url, base(deployment)) ? bearer(secret) : {} };
  },

  cancel({ deployment, secret }, id): JobCall {
    return { method: 'POST', url: jobPath(deployment, id, 'cancel'), headers: { 'content-type': 'application/json', ...bearer(secret) }, body: '{}' };
  },
};
