import { z } from 'zod';
import type { PipelineContext } from '../pipeline/context.js';
import type { MediaStore } from '../media/store.js';
import type { JobRecord, JobsRepository } from '../db/jobs-repository.js';
import { retentionDays } from '../domain/media-jobs.js';
import { adminJobView } from './views.js';
import type { JobAnswer, JobHttp } from './http.js';
import type { JobCall, JobProvider, JobTarget } from './types.js';

/** Runner timing, from the environment (tests shorten it); every value in milliseconds. */
export interface JobRunnerOptions {
  /** First poll delay after submit; doubles per poll (OMIXA_JOB_POLL_MS, default 1000). */
  pollMs: number;
  /** Cap of the poll delay (OMIXA_JOB_POLL_MAX_MS, default 15000). */
  pollMaxMs: number;
  /** How often expired media are looked for (OMIXA_JOB_SWEEP_MS, default 60000). */
  sweepMs: number;
  /** A job still running after this long is failed and its hold released (OMIXA_JOB_TIMEOUT_MS, default 3 h). */
  timeoutMs: number;
  /** Consecutive failed polls (transport errors, 5xx, unreadable answers) before a job is failed (default 30). */
  maxPollErrors: number;
  /** Jobs polled at the same time (default 16). */
  concurrency: number;
}

const ms = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const schema = z.object({
  pollMs: ms(5, 600_000, 1000),
  pollMaxMs: ms(5, 3_600_000, 15_000),
  sweepMs: ms(20, 86_400_000, 60_000),
  timeoutMs: ms(1000, 7 * 86_400_000, 3 * 3_600_000),
  maxPollErrors: ms(1, 10_000, 30),
  concurrency: ms(1, 256, 16),
});

/** Reads the runner's settings from the environment; a bad value is refused at start rather than silently replaced. */
export function jobRunnerOptions(env: NodeJS.ProcessEnv): JobRunnerOptions {
  const raw = {
    pollMs: env.OMIXA_JOB_POLL_MS || undefined,
    pollMaxMs: env.OMIXA_JOB_POLL_MAX_MS || undefined,
    sweepMs: env.OMIXA_JOB_SWEEP_MS || undefined,
    timeoutMs: env.OMIXA_JOB_TIMEOUT_MS || undefined,
    maxPollErrors: env.OMIXA_JOB_MAX_POLL_ERRORS || undefined,
    concurrency: env.OMIXA_JOB_CONCURRENCY || undefined,
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`invalid job runner setting ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return { ...parsed.data, pollMaxMs: Math.max(parsed.data.pollMaxMs, parsed.data.pollMs) };
}

/** What the job pipelines share, built once by the runner. */
export interface JobDeps {
  ctx: PipelineContext;
  repo: JobsRepository;
  media: MediaStore;
  http: JobHttp;
  options: JobRunnerOptions;
  /** The gateway's own URL, for media links in events (requests use the origin the client called). */
  baseUrl(): string;
}

/** The retention of job media in milliseconds (the `media_retention_days` setting), or undefined when kept forever. */
export function retentionMs(deps: JobDeps): number | undefined {
  const days = retentionDays(deps.ctx.live.settings.media_retention_days);
  return days > 0 ? Math.round(days * 86_400_000) : undefined;
}

/** Tells the dashboard's live feed (and anyone else listening on `ctx.events`) that a job changed. */
export function emitJob(deps: JobDeps, job: JobRecord | undefined): void {
  if (!job) return;
  deps.ctx.events.emit('job', adminJobView(job, deps.baseUrl(), deps.ctx.live.account(job.accountId)?.name ?? null, retentionMs(deps)));
}

/** Sends one call of `provider` for `target`, with the provider's credentials added first where it needs I/O for them. */
export async function sendJobCall(deps: JobDeps, provider: JobProvider, target: JobTarget, call: JobCall, signal: AbortSignal, maxBytes?: number): Promise<JobAnswer> {
  const authorized = provider.authorize ? await provider.authorize(call, target) : call;
  return deps.http.send(authorized, signal, maxBytes);
}

/** The message of an upstream error body (`{error:{message}}`, `{error:"…"}`, `{message}`), or its first characters. */
export function upstreamMessage(answer: JobAnswer): string {
  const text = answer.body.toString('utf8');
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (typeof message === 'string') return message.slice(0, 500);
  } catch {
    // not JSON
  }
  return text.slice(0, 200) || `HTTP ${answer.status}`;
}
