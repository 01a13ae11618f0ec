import type { JobRecord } from '../db/jobs-repository.js';
import { estimatedWait, type JobStatus } from '../domain/media-jobs.js';
import type { JobParams } from './types.js';

/**
 * What clients and the admin see of a job. Times are ISO 8601 strings, as the product's job documents show them
 * (`"created_at": "2025-01-15T12:00:00Z"`); media URLs are gateway `/files/{id}` URLs on the origin the caller used.
 */

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** `submitting` is internal: the client's request is still open then, and the job is simply queued. */
export function clientStatus(job: JobRecord): JobStatus {
  return job.status === 'submitting' ? 'queued' : job.status;
}

const isRunning = (job: JobRecord) => job.status === 'submitting' || job.status === 'queued' || job.status === 'in_progress';

/** The job as its owner sees it (`GET /videos/generations/{id}`, `/music/generations/{id}`). */
export function jobView(job: JobRecord, baseUrl: string, retentionMs?: number): Record<string, unknown> {
  const params = job.params as unknown as JobParams;
  const media = job.kind === 'video' ? 'video' : 'audio';
  const view: Record<string, unknown> = {
    id: job.id,
    object: `${job.kind}.generation.job`,
    status: clientStatus(job),
    model: job.model,
    created_at: iso(job.createdAt),
    prompt: params.prompt,
    duration: job.outputs[0]?.seconds ?? params.durationSeconds,
    n: params.n,
    request_id: job.requestId,
  };
  if (job.kind === 'video') {
    view.resolution = params.resolution ?? null;
    if (params.size) view.size = params.size;
  }
  if (isRunning(job)) {
    view.estimated_wait = estimatedWait(job.kind, params);
    if (job.progress !== null) view.progress = job.progress;
  }
  if (job.status === 'completed') {
    const urls = job.outputs.map((f) => `${baseUrl}/files/${f.fileId}`);
    view[`${media}_url`] = urls[0] ?? null;
    view[`${media}_urls`] = urls;
    if (retentionMs !== undefined && job.completedAt !== null) view.expires_at = iso(job.completedAt + retentionMs);
  }
  if (!isRunning(job)) view.completed_at = iso(job.completedAt);
  if (job.status === 'expired') view.expired_at = iso(job.expiredAt);
  if (job.errorCode || job.errorMessage) view.error = { code: job.errorCode ?? 'upstream_error', message: job.errorMessage ?? 'The job failed.' };
  return view;
}

/** The job as the admin sees it: the client's view plus who, where, money and the runner's state. */
export function adminJobView(job: JobRecord, baseUrl: string, accountName: string | null, retentionMs?: number): Record<string, unknown> {
  const files = job.status === 'completed' ? job.outputs : [];
  return {
    ...jobView(job, baseUrl, retentionMs),
    kind: job.kind,
    stored_status: job.status,
    account_id: job.accountId,
    account_name: accountName,
    key_id: job.keyId,
    deployment_id: job.deploymentId,
    deployment_name: job.deploymentName,
    upstream_id: job.upstreamId,
    upstream_status: job.upstreamStatus,
    hold_micros: job.holdMicros,
    cost_micros: job.costMicros,
    attempts: job.attempts,
    poll_errors: job.pollErrors,
    next_poll_at: iso(job.nextPollAt),
    updated_at: iso(job.updatedAt),
    params: job.params,
    preview_url: files[0] ? `${baseUrl}/files/${files[0].fileId}` : null,
    files: files.map((f) => ({ id: f.fileId, url: `${baseUrl}/files/${f.fileId}`, content_type: f.contentType, size_bytes: f.sizeBytes, seconds: f.seconds })),
  };
}
