import { gatewayError, GatewayError } from '../errors.js';
import { newId } from '../ids.js';
import type { Deployment } from '../db/deployments-repository.js';
import type { JobFile, JobRecord } from '../db/jobs-repository.js';
import { InsufficientBalanceError } from '../db/wallet-repository.js';
import { jobHoldMicros, type JobKind } from '../domain/media-jobs.js';
import type { Principal } from '../pipeline/context.js';
import { admitKey, assertModelAllowed, endAdmission, refuseShortWallet } from '../pipeline/admission.js';
import { sendWithFailover } from '../pipeline/failover.js';
import { answerJson, JobTransportError, MAX_MEDIA_BYTES, type JobAnswer } from './http.js';
import { jobProviderFor } from './providers/index.js';
import { emitJob, type JobDeps } from './context.js';
import { completeJob, failJob } from './poll.js';
import { DownloadRefusedError, storeOutputs } from './outputs.js';
import type { JobRequest } from './request.js';
import { UpstreamAnswerError, type FinishedJobState, type JobCall, type JobProvider, type JobTarget } from './types.js';

/** The usage endpoint of each job kind. */
export const JOB_ENDPOINTS: Record<JobKind, string> = { video: 'videos.generations', music: 'music.generations' };

/** A create answer, read whole, as the failover loop reads answers; `upstreamId` is set once it is accepted. */
interface SubmitAnswer {
  status: number;
  headers: JobAnswer['headers'];
  body: { text(): Promise<string> };
  answer: JobAnswer;
  upstreamId: string;
  /** A synchronous upstream's answer: the job's end (see `JobProvider.finished`). */
  finished?: FinishedJobState;
}

/** What settling a job at submit needs: where its create call was answered, and the end it answered. */
interface Settlement {
  provider: JobProvider;
  target: JobTarget;
  state: FinishedJobState;
  attempts: number;
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * Submits a job: validate the model → key limits → open the job with its usage row and hold (402 when short, nothing
 * called) → create it upstream through the failover loop of every billed call (`sendWithFailover`: connect errors,
 * timeouts, 429, 5xx and deployment misconfiguration move on to the next deployment; 400-class answers are the
 * client's), with the job runner's providers and HTTP client; a 2xx without a job id fails over like a 5xx → the job is
 * `queued` and the runner polls it. A synchronous upstream (Lyria) answers the create call with the media themselves:
 * that job is settled here and the client gets it back already ended (`settleAtSubmit`).
 *
 * The job row exists before the upstream call so a crash in between leaves a trace: the next start finds it still
 * `submitting`, fails it and releases its hold. A submit that fails here ends the job at once, hold released.
 */
export async function submitJob(deps: JobDeps, principal: Principal, requestId: string, kind: JobKind, request: JobRequest): Promise<JobRecord> {
  const { ctx } = deps;
  const model = ctx.live.model(request.model);
  const deployments = ctx.live.deploymentsFor(request.model).filter((d) => d.enabled && jobProviderFor(d.provider, kind));
  if (!model || model.modality !== kind || deployments.length === 0) {
    throw gatewayError('model_not_found', `The model '${request.model}' does not exist or has no enabled ${kind} deployment.`, { param: 'model' });
  }
  assertModelAllowed(principal, request.model);
  const admission = admitKey(ctx, principal, 0);

  const createdAt = Date.now();
  const newRequest = {
    id: requestId,
    accountId: principal.accountId,
    keyId: principal.keyId,
    source: principal.source,
    model: request.model,
    endpoint: JOB_ENDPOINTS[kind],
    stream: false,
    holdMicros: jobHoldMicros(request.params, model.price),
    createdAt,
  };
  const jobId = newId(kind === 'video' ? 'job_vid' : 'job_mus');
  try {
    // The prices are kept with the job: its capture uses the prices its hold was computed with, even if the admin
    // edits them while it runs.
    deps.repo.open({ id: jobId, kind, params: { ...request.params, price: model.price }, request: newRequest });
  } catch (err) {
    if (!(err instanceof InsufficientBalanceError)) throw err;
    await refuseShortWallet(ctx, newRequest, admission);
  }
  emitJob(deps, deps.repo.get(jobId));

  let attempts = 0;
  let current: Deployment | undefined;
  let target: JobTarget | undefined;
  let started = 0;
  let settlement: Settlement;
  try {
    const plan = ctx.router.plan(deployments, 0, Date.now());
    if (plan.length === 0) throw gatewayError('no_healthy_deployment');
    const { res, deployment, provider, reservation } = await sendWithFailover<JobProvider, JobCall, SubmitAnswer>({
      ctx,
      plan,
      estimate: 0,
      signal: NEVER_ABORTED,
      // The job is the client's handle on the work: a submit goes on when its client leaves.
      clientGone: () => false,
      onAttempt: (deployment) => {
        attempts++;
        current = deployment;
      },
      build: ({ deployment, provider, secret }) => {
        target = { deployment, secret };
        const call = provider.create(target, kind, request.params, request.image);
        // Recorded before the call leaves: a crash while it is out leaves the job `submitting` on this deployment.
        deps.repo.attempting(jobId, deployment.id, deployment.name);
        started = performance.now();
        return call;
      },
      transport: {
        provider: (deployment) => jobProviderFor(deployment.provider, kind)!,
        // A submit outlives its client: each attempt has its own deadline instead of the call's signal.
        // A synchronous upstream's answer carries the media (Lyria: megabytes of WAV per clip), capped like downloads.
        send: async (call, { provider }) => {
          const deadline = AbortSignal.timeout(ctx.config.upstreamHeadersTimeoutMs + ctx.config.upstreamIdleTimeoutMs);
          const answer = await deps.http.send(call, deadline, provider.finished ? MAX_MEDIA_BYTES : undefined);
          return { status: answer.status, headers: answer.headers, body: { text: async () => answer.body.toString('utf8') }, answer, upstreamId: '' };
        },
        // An abort can only be the attempt's own deadline; an answer over the size cap is a broken upstream.
        failure: (err) => (err instanceof JobTransportError ? (err.kind === 'aborted' ? 'timeout' : err.kind === 'too_large' ? 'network' : err.kind) : 'network'),
        accept: (res, { provider }) => {
          if (provider.finished) {
            res.finished = provider.finished(answerJson(res.answer));
            return;
          }
          try {
            res.upstreamId = provider.created(answerJson(res.answer));
          } catch {
            throw new UpstreamAnswerError('the upstream answered without a job id');
          }
        },
      },
    });
    ctx.router.finish(reservation, 0, Math.round(performance.now() - started), Date.now());
    if (res.finished) {
      endAdmission(ctx, admission, null, 0);
      settlement = { provider, target: target!, state: res.finished, attempts };
    } else {
      deps.repo.submitted(jobId, { deploymentId: deployment.id, deploymentName: deployment.name, upstreamId: res.upstreamId, nextPollAt: Date.now() + deps.options.pollMs });
      endAdmission(ctx, admission, null, 0);
      const job = deps.repo.get(jobId)!;
      emitJob(deps, job);
      return job;
    }
  } catch (err) {
    const error = err instanceof GatewayError ? err : gatewayError('internal_error');
    if (!(err instanceof GatewayError)) ctx.log.error({ err, jobId }, 'job submit failed');
    endAdmission(ctx, admission, error.code, 0);
    const finishedAt = Date.now();
    deps.repo.end(jobId, {
      status: 'failed',
      errorCode: error.code,
      errorMessage: error.message,
      costMicros: 0,
      outcome: {
        status: 'error',
        httpStatus: error.status,
        errorCode: error.code,
        errorMessage: error.message,
        attempts,
        deploymentId: current?.id ?? null,
        deploymentName: current?.name ?? null,
        latencyMs: finishedAt - createdAt,
        finishedAt,
      },
    });
    const record = ctx.store.requests.get(requestId);
    if (record) ctx.events.emit('request', record);
    emitJob(deps, deps.repo.get(jobId));
    throw error;
  }
  return settleAtSubmit(deps, jobId, settlement);
}

/**
 * Ends a job whose upstream answered its create call with the finished result: stores the media and captures the cost
 * (each clip at the seconds reported for it, else the requested ones), or releases the hold when nothing was made or
 * the media cannot be stored. The job goes from `submitting` straight to its end, never queued nor polled; a crash
 * before it ends leaves it `submitting`, failed with its hold released at the next start.
 */
async function settleAtSubmit(deps: JobDeps, jobId: string, { provider, target, state, attempts }: Settlement): Promise<JobRecord> {
  const job = deps.repo.get(jobId)!;
  if (state.state === 'failed') {
    failJob(deps, job, 'generation_failed', state.error, state.upstreamStatus);
    return deps.repo.get(jobId)!;
  }
  let files: JobFile[];
  try {
    files = await storeOutputs(deps, provider, target, job, state.outputs, NEVER_ABORTED);
  } catch (err) {
    const refused = err instanceof DownloadRefusedError;
    if (!refused) deps.ctx.log.error({ err, jobId }, 'storing the media of a job failed');
    failJob(deps, job, 'upstream_error', refused ? `The generated media could not be stored: ${err.message}` : 'The generated media could not be stored.', state.upstreamStatus);
    return deps.repo.get(jobId)!;
  }
  await completeJob(deps, job, files, state, attempts);
  return deps.repo.get(jobId)!;
}
