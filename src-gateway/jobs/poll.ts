import type { JobEnding, JobFile, JobRecord } from '../db/jobs-repository.js';
import { jobCostMicros, pollDelayMs } from '../domain/media-jobs.js';
import type { MediaPrice } from '../domain/media-pricing.js';
import { answerJson, JobTransportError } from './http.js';
import { jobProviderFor } from './providers/index.js';
import { emitJob, sendJobCall, upstreamMessage, type JobDeps } from './context.js';
import { DownloadRefusedError, removeFiles, storeOutputs } from './outputs.js';
import type { JobParams, JobProvider, JobState, JobTarget } from './types.js';

/** Why a running job ended without its media (the usage row's and the job's `error_code`). */
export type JobFailureCode = 'generation_failed' | 'upstream_error' | 'upstream_timeout' | 'interrupted';

/**
 * Ends a running job without media: releases its hold (nothing is captured), records why, tells the feeds. False when
 * the job had already ended (a cancel or another poll got there first).
 */
export function failJob(deps: JobDeps, job: JobRecord, code: JobFailureCode | 'cancelled', message: string, upstreamStatus: string | null = null): boolean {
  const cancelled = code === 'cancelled';
  const finishedAt = Date.now();
  const ending: JobEnding = {
    status: cancelled ? 'cancelled' : 'failed',
    errorCode: cancelled ? null : code,
    errorMessage: cancelled ? null : message,
    upstreamStatus,
    costMicros: 0,
    outcome: {
      // The client's submit was answered 200; the usage row's status and error code tell how the job ended.
      status: cancelled ? 'cancelled' : 'error',
      httpStatus: 200,
      errorCode: code,
      errorMessage: message,
      attempts: 1,
      deploymentId: job.deploymentId,
      deploymentName: job.deploymentName,
      latencyMs: finishedAt - job.createdAt,
      finishedAt,
    },
  };
  const ended = deps.repo.end(job.id, ending);
  if (ended) announce(deps, job);
  return ended;
}

function announce(deps: JobDeps, job: JobRecord): void {
  const record = deps.ctx.store.requests.get(job.requestId);
  if (record) deps.ctx.events.emit('request', record);
  emitJob(deps, deps.repo.get(job.id));
  deps.ctx.log.info({ job: job.id, reqId: job.requestId, model: job.model, status: deps.repo.get(job.id)?.status, cost_micros: record?.cost_micros }, 'media job finished');
}

/** The prices the job was held with (kept with it), else the catalog's current ones. */
function priceOf(deps: JobDeps, job: JobRecord): MediaPrice | undefined {
  const kept = job.params.price as MediaPrice | undefined;
  return kept ?? deps.ctx.live.model(job.model)?.price;
}

/**
 * One poll of a running job: read its upstream state; still running → note it and schedule the next poll (backing
 * off); finished → download its media into the store and capture its cost; failed or cancelled upstream → release.
 * Transient trouble (transport errors, 5xx, unreadable answers, failed downloads) is retried with the same back-off
 * until `maxPollErrors` in a row fail the job.
 */
export async function pollJob(deps: JobDeps, job: JobRecord, signal: AbortSignal): Promise<void> {
  const { ctx, options } = deps;
  const deployment = job.deploymentId ? ctx.live.deployment(job.deploymentId) : undefined;
  const provider = deployment ? jobProviderFor(deployment.provider, job.kind) : undefined;
  if (!deployment || !provider || !job.upstreamId) {
    failJob(deps, job, 'upstream_error', 'The deployment that ran this job no longer exists.');
    return;
  }
  const secret = await ctx.live.secretFor(deployment).catch(() => undefined);
  if (!secret) return retry(deps, job, `deployment ${deployment.name} has no secret in the vault`);
  const target: JobTarget = { deployment, secret };
  if (Date.now() - job.createdAt > options.timeoutMs) {
    // Past its deadline: stop it upstream where that is possible (best effort), so it is not paid for there either.
    if (provider.cancel) await sendJobCall(deps, provider, target, provider.cancel(target, job.upstreamId), signal).catch(() => undefined);
    failJob(deps, job, 'upstream_timeout', `The upstream did not finish the job within ${Math.round(options.timeoutMs / 60_000)} minutes.`);
    return;
  }

  let state: JobState;
  try {
    const answer = await sendJobCall(deps, provider, target, provider.poll(target, job.upstreamId), signal);
    if (answer.status === 404 || answer.status === 410) {
      failJob(deps, job, 'upstream_error', 'The upstream no longer knows this job.');
      return;
    }
    if (answer.status < 200 || answer.status >= 300) return retry(deps, job, `HTTP ${answer.status}: ${upstreamMessage(answer)}`);
    state = provider.status(answerJson(answer), target, job.upstreamId);
  } catch (err) {
    if (signal.aborted) return; // the runner is stopping: the next start polls again
    return retry(deps, job, err instanceof JobTransportError ? `${err.kind} error` : (err as Error).message);
  }

  switch (state.state) {
    case 'queued':
    case 'in_progress': {
      const changed = state.state !== job.status || (state.progress ?? null) !== job.progress;
      deps.repo.polled(job.id, { status: state.state, upstreamStatus: state.upstreamStatus, progress: state.progress ?? null, attempts: job.attempts + 1, pollErrors: 0, nextPollAt: nextPoll(deps, job.attempts + 1) });
      if (changed) emitJob(deps, deps.repo.get(job.id));
      return;
    }
    case 'failed':
      failJob(deps, job, 'generation_failed', state.error, state.upstreamStatus);
      return;
    case 'cancelled':
      failJob(deps, job, 'cancelled', 'The upstream cancelled the job.', state.upstreamStatus);
      return;
    case 'completed':
      return complete(deps, job, provider, target, state, signal);
  }
}

async function complete(deps: JobDeps, job: JobRecord, provider: JobProvider, target: JobTarget, state: Extract<JobState, { state: 'completed' }>, signal: AbortSignal): Promise<void> {
  let files;
  try {
    files = await storeOutputs(deps, provider, target, job, state.outputs, signal);
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof DownloadRefusedError) {
      failJob(deps, job, 'upstream_error', `The generated media could not be downloaded: ${err.message}`, state.upstreamStatus);
      return;
    }
    return retry(deps, job, `download failed: ${err instanceof JobTransportError ? `${err.kind} error` : (err as Error).message}`);
  }
  await completeJob(deps, job, files, state, 1);
}

/**
 * Ends a job with its stored media: captures its cost (each file at the seconds reported for it, else the requested
 * ones) and releases the rest of the hold, then tells the feeds. When the job had already ended (cancelled, or ended
 * by another poll, while the media downloaded) the files belong to nothing and are removed. False in that case.
 */
export async function completeJob(deps: JobDeps, job: JobRecord, files: JobFile[], state: Extract<JobState, { state: 'completed' }>, attempts: number): Promise<boolean> {
  const params = job.params as unknown as JobParams;
  const price = priceOf(deps, job);
  const cost = price ? jobCostMicros(files.map((f) => ({ seconds: f.seconds })), params.durationSeconds, price) : 0;
  const finishedAt = Date.now();
  const ended = deps.repo.end(job.id, {
    status: 'completed',
    outputs: files,
    upstreamStatus: state.upstreamStatus,
    costMicros: cost,
    outcome: {
      status: 'ok',
      httpStatus: 200,
      // Billed on durations the upstream reported, or on the requested ones where it reported none.
      usageSource: state.outputs.every((o) => typeof o.seconds === 'number') ? 'upstream' : 'local',
      attempts,
      deploymentId: job.deploymentId,
      deploymentName: job.deploymentName,
      latencyMs: finishedAt - job.createdAt,
      finishedAt,
    },
  });
  if (!ended) await removeFiles(deps, files.map((f) => f.fileId));
  else announce(deps, job);
  return ended;
}

function nextPoll(deps: JobDeps, attempts: number): number {
  return Date.now() + pollDelayMs(attempts, deps.options.pollMs, deps.options.pollMaxMs);
}

/** A failed poll: back off and try again, or fail the job after too many in a row. */
function retry(deps: JobDeps, job: JobRecord, why: string): void {
  const pollErrors = job.pollErrors + 1;
  deps.ctx.log.warn({ job: job.id, pollErrors, why }, 'media job poll failed');
  if (pollErrors >= deps.options.maxPollErrors) {
    failJob(deps, job, 'upstream_error', `The upstream could not be polled: ${why}`);
    return;
  }
  const status = job.status === 'in_progress' ? 'in_progress' : 'queued';
  deps.repo.polled(job.id, { status, upstreamStatus: job.upstreamStatus, progress: job.progress, attempts: job.attempts + 1, pollErrors, nextPollAt: nextPoll(deps, job.attempts + 1) });
}
