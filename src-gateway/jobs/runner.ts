import { gatewayError } from '../errors.js';
import type { MediaStore } from '../media/store.js';
import type { PipelineContext, Principal } from '../pipeline/context.js';
import { createJobsRepository, type JobRecord, type JobsRepository } from '../db/jobs-repository.js';
import { retentionCutoff, retentionDays, type JobKind } from '../domain/media-jobs.js';
import { createJobHttp, JobTransportError } from './http.js';
import { jobProviderFor } from './providers/index.js';
import { emitJob, jobRunnerOptions, retentionMs, sendJobCall, upstreamMessage, type JobDeps, type JobRunnerOptions } from './context.js';
import { failJob, pollJob } from './poll.js';
import { removeFiles } from './outputs.js';
import { submitJob } from './submit.js';
import type { JobRequest } from './request.js';

/** A stop waits this long for polls and downloads in flight before it lets the database close under them. */
const STOP_GRACE_MS = 5_000;
const SWEEP_BATCH = 100;
/** Shortest sleep between scheduler ticks, so a job due now but already polling cannot make the loop spin. */
const MIN_SLEEP_MS = 5;

/**
 * The media job runner, in the gateway process. Jobs live in SQLite; the runner polls each running job when its
 * `next_poll_at` comes (backing off per job), stores finished media and settles the money. It holds no state a crash
 * could lose: after a restart every running job is polled again, and jobs whose create call never answered are failed
 * with their holds released. Completed jobs' media are deleted after `media_retention_days` (the job shows `expired`).
 */
export function createJobRunner(ctx: PipelineContext, media: MediaStore, env: NodeJS.ProcessEnv) {
  const options: JobRunnerOptions = jobRunnerOptions(env);
  const repo: JobsRepository = createJobsRepository(ctx.store.db, ctx.store.billing);
  const http = createJobHttp({ headersTimeoutMs: ctx.config.upstreamHeadersTimeoutMs, bodyTimeoutMs: ctx.config.upstreamIdleTimeoutMs });
  let baseUrl = `http://${ctx.config.host.includes(':') ? `[${ctx.config.host}]` : ctx.config.host}:${ctx.config.port}`;
  const deps: JobDeps = { ctx, repo, media, http, options, baseUrl: () => baseUrl };

  const abort = new AbortController();
  const inFlight = new Map<string, Promise<void>>();
  let leftSubmitting: JobRecord[] = [];
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;

  function schedule(delayMs: number): void {
    if (!started || stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, Math.max(0, delayMs));
    timer.unref();
  }

  /** Starts the polls that are due (up to the concurrency), then sleeps until the next one is. */
  function tick(): void {
    if (stopped) return;
    const now = Date.now();
    const free = options.concurrency - inFlight.size;
    if (free > 0) {
      for (const job of repo.due(now, options.concurrency)) {
        if (inFlight.size >= options.concurrency) break;
        // A long download can outlast its claim: never run two polls of one job at once.
        if (inFlight.has(job.id)) continue;
        // Claimed for a while: the scheduler must not pick this job again while its poll runs.
        repo.claim(job.id, now + options.pollMaxMs + ctx.config.upstreamHeadersTimeoutMs);
        const work = pollJob(deps, job, abort.signal)
          .catch((err: unknown) => ctx.log.error({ err, job: job.id }, 'media job poll crashed'))
          .finally(() => {
            inFlight.delete(job.id);
            schedule(0);
          });
        inFlight.set(job.id, work);
      }
    }
    // At full concurrency the next finished poll reschedules; otherwise sleep until the next job is due (never spin).
    if (inFlight.size >= options.concurrency) return;
    const next = repo.nextDueAt();
    schedule(next === null ? options.pollMaxMs : Math.max(MIN_SLEEP_MS, Math.min(options.pollMaxMs, next - Date.now())));
  }

  /** Deletes the media of completed jobs older than the retention period; they show `expired`. */
  async function sweepOnce(): Promise<void> {
    try {
      const cutoff = retentionCutoff(Date.now(), retentionDays(ctx.live.settings.media_retention_days));
      if (cutoff === undefined) return;
      for (let batch = repo.expirable(cutoff, SWEEP_BATCH); batch.length > 0 && !stopped; batch = repo.expirable(cutoff, SWEEP_BATCH)) {
        for (const job of batch) {
          await removeFiles(deps, job.outputs.map((f) => f.fileId));
          if (repo.markExpired(job.id)) emitJob(deps, repo.get(job.id));
        }
      }
    } catch (err) {
      ctx.log.error({ err }, 'media retention sweep failed');
    }
  }

  /** One sweep at a time; a sweep asked for while one runs starts after it (it may see a newer setting). */
  function sweep(): Promise<void> {
    const next = (sweeping ?? Promise.resolve()).then(sweepOnce);
    const tracked: Promise<void> = next.finally(() => {
      if (sweeping === tracked) sweeping = undefined;
    });
    sweeping = tracked;
    return tracked;
  }

  return {
    repo,
    options,

    /**
     * Before this instance accepts calls: notes the jobs a previous run left mid-submit, and returns the pending
     * request ids that are not running jobs' (those are leftovers of a crash, to be released). Running jobs' usage
     * rows are pending by design and must keep their holds.
     */
    claimRecovery(pendingIds: readonly string[]): string[] {
      leftSubmitting = repo.submitting();
      const running = repo.runningRequestIds();
      return pendingIds.filter((id) => !running.has(id));
    },

    /** Once listening: fails what a crash left mid-submit, polls every running job at once, starts the timers. */
    start(url: string): void {
      if (started) return;
      started = true;
      baseUrl = url;
      for (const job of leftSubmitting) {
        failJob(deps, job, 'interrupted', 'The gateway stopped before the upstream accepted the job.');
        // A provider that answers its create call with the media (Lyria) may have stored some before the crash: a
        // failed job owns no files.
        const orphans = repo.fileIdsOfRequest(job.requestId);
        if (orphans.length > 0) void removeFiles(deps, orphans).catch((err: unknown) => ctx.log.error({ err, job: job.id }, 'removing the media of an interrupted job failed'));
      }
      if (leftSubmitting.length > 0) ctx.log.warn({ failed: leftSubmitting.length }, 'failed the media jobs a crash left mid-submit; their holds are released');
      leftSubmitting = [];
      const resumed = repo.pollAllAt(Date.now());
      if (resumed > 0) ctx.log.info({ resumed }, 'resuming media jobs');
      void sweep();
      sweepTimer = setInterval(() => void sweep(), options.sweepMs);
      sweepTimer.unref();
      schedule(0);
    },

    /** Stops polling; polls and downloads in flight are aborted (the next start polls those jobs again). */
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      clearInterval(sweepTimer);
      abort.abort();
      const pending = [...inFlight.values(), ...(sweeping ? [sweeping] : [])];
      if (pending.length > 0) await Promise.race([Promise.allSettled(pending), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
      await http.close();
    },

    /** Submits a job for `principal` (see `submitJob`) and wakes the scheduler for its first poll. */
    async submit(principal: Principal, requestId: string, kind: JobKind, request: JobRequest): Promise<JobRecord> {
      const work = submitJob(deps, principal, requestId, kind, request);
      // A graceful stop waits for submits in flight, like it does for streams.
      const tracked = work.then(() => undefined, () => undefined);
      ctx.inFlight.add(tracked);
      try {
        return await work;
      } finally {
        ctx.inFlight.delete(tracked);
        schedule(0);
      }
    },

    /** A job of `kind` owned by `accountId`; 404 `not_found` for any other job, so ids of other accounts reveal nothing. */
    owned(id: string, kind: JobKind, accountId: string): JobRecord {
      const job = repo.get(id);
      if (!job || job.kind !== kind || job.accountId !== accountId) throw gatewayError('not_found', `No ${kind} job with id '${id}'.`, { param: 'id' });
      return job;
    },

    /**
     * Cancels a running job where its upstream can: the upstream is told first, then the job ends `cancelled` and its
     * hold is released. Cancelling a cancelled job answers it again; a finished one is a 400.
     */
    async cancel(job: JobRecord): Promise<JobRecord> {
      if (job.status === 'cancelled') return job;
      if (job.status !== 'queued' && job.status !== 'in_progress') {
        throw gatewayError('invalid_request', job.status === 'submitting' ? 'The job is still being submitted.' : `The job is already ${job.status}.`, { param: 'id' });
      }
      const deployment = job.deploymentId ? ctx.live.deployment(job.deploymentId) : undefined;
      const provider = deployment ? jobProviderFor(deployment.provider, job.kind) : undefined;
      if (!deployment || !provider?.cancel || !job.upstreamId) {
        throw gatewayError('invalid_request', 'The upstream running this job does not support cancelling it.', { param: 'id' });
      }
      const secret = await ctx.live.secretFor(deployment);
      if (!secret) throw gatewayError('upstream_error', `Deployment ${deployment.name} has no secret in the vault.`);
      const target = { deployment, secret };
      let answer;
      try {
        answer = await sendJobCall(deps, provider, target, provider.cancel(target, job.upstreamId), AbortSignal.timeout(ctx.config.upstreamHeadersTimeoutMs));
      } catch (err) {
        throw err instanceof JobTransportError && err.kind === 'timeout' ? gatewayError('upstream_timeout') : gatewayError('upstream_error', 'The upstream could not be reached to cancel the job.');
      }
      // 404: the upstream has already forgotten the job; either way it will not produce anything more for us.
      if ((answer.status < 200 || answer.status >= 300) && answer.status !== 404) {
        throw gatewayError('upstream_error', `The upstream refused to cancel the job: ${upstreamMessage(answer)}`);
      }
      failJob(deps, job, 'cancelled', 'The job was cancelled by its owner.');
      return repo.get(job.id)!;
    },

    /** Runs the retention sweep now (the admin changed the setting, tests). */
    sweep,
    /** The retention of job media in milliseconds, or undefined when media are kept forever. */
    retentionMs: () => retentionMs(deps),
    /** The gateway's own URL, for media links where no request gives an origin. */
    baseUrl: () => baseUrl,
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
