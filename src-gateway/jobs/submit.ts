import { gatewayError, GatewayError } from '../errors.js';
import { newId } from '../ids.js';
import type { Deployment } from '../db/deployments-repository.js';
import type { JobRecord } from '../db/jobs-repository.js';
import { InsufficientBalanceError } from '../db/wallet-repository.js';
import { jobHoldMicros, type JobKind } from '../domain/media-jobs.js';
import { retryAfterMs } from '../providers/http.js';
import type { Principal } from '../pipeline/context.js';
import { admitKey, assertModelAllowed, endAdmission, refuseShortWallet } from '../pipeline/admission.js';
import { answerJson, JobTransportError } from './http.js';
import { jobProviderFor } from './providers/index.js';
import { emitJob, sendJobCall, upstreamMessage, type JobDeps } from './context.js';
import type { JobRequest } from './request.js';
import type { JobCall } from './types.js';

/** The usage endpoint of each job kind. */
export const JOB_ENDPOINTS: Record<JobKind, string> = { video: 'videos.generations', music: 'music.generations' };

interface Attempt {
  kind: 'timeout' | 'connect' | 'network' | 'status' | 'config';
  message: string;
}

/**
 * Submits a job: validate the model → key limits → open the job with its usage row and hold (402 when short, nothing
 * called) → create it upstream, failing over like every billed call (connect errors, timeouts, 429 and 5xx move on to
 * the next deployment; 400-class answers are the client's) → the job is `queued` and the runner polls it.
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
  try {
    const plan = ctx.router.plan(deployments, 0, Date.now());
    if (plan.length === 0) throw gatewayError('no_healthy_deployment');
    const failures: Attempt[] = [];
    for (const deployment of plan) {
      attempts++;
      current = deployment;
      const provider = jobProviderFor(deployment.provider, kind)!;
      const secret = await ctx.live.secretFor(deployment);
      if (!secret) {
        failures.push({ kind: 'config', message: `deployment ${deployment.name} has no secret in the vault` });
        continue;
      }
      const target = { deployment, secret };
      let call: JobCall;
      try {
        call = provider.create(target, kind, request.params, request.image);
      } catch (err) {
        if (err instanceof RangeError) throw gatewayError('invalid_request', 'The request body is nested too deeply.');
        throw err;
      }
      deps.repo.attempting(jobId, deployment.id, deployment.name);
      const reservation = ctx.router.begin(deployment.id, 0, Date.now());
      const started = performance.now();
      let answer;
      try {
        answer = await sendJobCall(deps, provider, target, call, AbortSignal.timeout(ctx.config.upstreamHeadersTimeoutMs + ctx.config.upstreamIdleTimeoutMs));
      } catch (err) {
        const kindOf = err instanceof JobTransportError ? err.kind : 'config';
        const message = err instanceof JobTransportError ? `${err.kind} error` : `deployment ${deployment.name} could not authorize: ${(err as Error).message}`;
        ctx.router.recordFailure(reservation, kindOf === 'timeout' || kindOf === 'aborted' ? 'timeout' : 'connect', Date.now(), undefined, message);
        failures.push({ kind: kindOf === 'timeout' || kindOf === 'aborted' ? 'timeout' : kindOf === 'config' ? 'config' : 'connect', message });
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) {
        let upstreamId: string;
        try {
          upstreamId = provider.created(answerJson(answer));
        } catch (err) {
          ctx.router.recordFailure(reservation, 'server_error', Date.now(), undefined, (err as Error).message);
          failures.push({ kind: 'status', message: `the upstream answered without a job id` });
          continue;
        }
        ctx.router.recordSuccess(deployment.id);
        ctx.router.finish(reservation, 0, Math.round(performance.now() - started), Date.now());
        deps.repo.submitted(jobId, { deploymentId: deployment.id, deploymentName: deployment.name, upstreamId, nextPollAt: Date.now() + deps.options.pollMs });
        endAdmission(ctx, admission, null, 0);
        const job = deps.repo.get(jobId)!;
        emitJob(deps, job);
        return job;
      }
      const message = upstreamMessage(answer);
      if (answer.status === 400 || answer.status === 413 || answer.status === 415 || answer.status === 422) {
        ctx.router.finish(reservation, 0, null, Date.now());
        throw gatewayError('invalid_request', `The upstream rejected the request: ${message}`);
      }
      // Rate limits, server errors and deployment misconfiguration (401/403/404) are this deployment's problem.
      ctx.router.recordFailure(reservation, answer.status === 429 ? 'rate_limited' : 'server_error', Date.now(), retryAfterMs(answer.headers), `HTTP ${answer.status}: ${message}`);
      failures.push({ kind: 'status', message: `HTTP ${answer.status}: ${message}` });
    }
    if (failures.length > 0 && failures.every((f) => f.kind === 'timeout')) throw gatewayError('upstream_timeout');
    throw gatewayError('upstream_error', `The upstream failed: ${failures[failures.length - 1]?.message ?? 'no attempt succeeded'}`);
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
}
