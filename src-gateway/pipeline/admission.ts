import { gatewayError } from '../errors.js';
import type { NewRequest, RequestOutcome, UsageRecord } from '../db/requests-repository.js';
import { InsufficientBalanceError } from '../db/wallet-repository.js';
import type { Admission } from '../domain/windows.js';
import type { PipelineContext, Principal } from './context.js';

/**
 * The steps every billed call takes before and after the upstream, whatever its endpoint: the key's model list and
 * RPM/TPM windows on the way in, a 402 that leaves a record and no trace in the key's windows, and the windows
 * corrected to what the call really used on the way out.
 */

/** Throws `model_not_allowed` when the key is restricted to other models. */
export function assertModelAllowed(principal: Principal, model: string): void {
  if (principal.allowedModels && !principal.allowedModels.includes(model)) {
    throw gatewayError('model_not_allowed', `This key is not allowed to use the model '${model}'.`, { param: 'model' });
  }
}

/**
 * Counts the call in the key's RPM/TPM windows with its token estimate; throws `rate_limited` (with `Retry-After`
 * and `x-ratelimit-*`) when a window is full. `setHeader` receives the `x-ratelimit-*` headers of an admitted call.
 */
export function admitKey(ctx: PipelineContext, principal: Principal, estimate: number, setHeader?: (name: string, value: string) => void): Admission | undefined {
  if (!principal.keyId || !principal.limits || (!principal.limits.rpm && !principal.limits.tpm)) return undefined;
  const admitted = ctx.limiter.admit(principal.keyId, principal.limits, estimate, Date.now());
  if (setHeader) for (const [name, value] of Object.entries(admitted.headers)) setHeader(name, value);
  if (!admitted.ok) throw gatewayError('rate_limited', undefined, { headers: admitted.headers });
  return admitted.admission;
}

/** A call the wallet cannot cover: taken back from the key's windows, recorded as refused, answered 402. */
export async function refuseShortWallet(ctx: PipelineContext, request: NewRequest, admission: Admission | undefined): Promise<never> {
  if (admission) ctx.limiter.cancel(admission, Date.now());
  await ctx.store.billing.recordRefusedBatched(request, { status: 'error', httpStatus: 402, errorCode: 'insufficient_balance', finishedAt: Date.now() });
  throw gatewayError('insufficient_balance');
}

/** Opens the call's hold (its pending usage row); when the wallet is short, refuses it as `refuseShortWallet` does. */
export function holdOrRefuse(ctx: PipelineContext, request: NewRequest, admission: Admission | undefined): Promise<void> {
  return ctx.store.billing.openBatched(request).catch((err: unknown) => {
    if (!(err instanceof InsufficientBalanceError)) throw err;
    return refuseShortWallet(ctx, request, admission);
  });
}

/** Ends a key admission: a call the gateway refused itself does not count; others count the tokens they used. */
export function endAdmission(ctx: PipelineContext, admission: Admission | undefined, errorCode: string | null | undefined, usedTokens: number): void {
  if (!admission) return;
  if (errorCode === 'no_healthy_deployment') ctx.limiter.cancel(admission, Date.now());
  else ctx.limiter.settle(admission, usedTokens, Date.now());
}

/** The finished usage row, built from what was written (the dashboard feed and metrics read it, no query needed). */
export function usageRecord(opened: NewRequest, outcome: RequestOutcome, costMicros: number, shortfallMicros: number): UsageRecord {
  const prompt = outcome.promptTokens ?? 0;
  const completion = outcome.completionTokens ?? 0;
  return {
    id: opened.id,
    created_at: Math.floor(opened.createdAt / 1000),
    account_id: opened.accountId,
    key_id: opened.keyId,
    source: opened.source,
    model: opened.model,
    endpoint: opened.endpoint,
    status: outcome.status,
    http_status: outcome.httpStatus,
    stream: opened.stream,
    prompt_tokens: prompt,
    completion_tokens: completion,
    cached_tokens: outcome.cachedTokens ?? 0,
    reasoning_tokens: outcome.reasoningTokens ?? 0,
    total_tokens: prompt + completion,
    cost_micros: costMicros,
    hold_micros: opened.holdMicros,
    shortfall_micros: shortfallMicros,
    latency_ms: outcome.latencyMs ?? null,
    ttft_ms: outcome.ttftMs ?? null,
    error_code: outcome.errorCode ?? null,
    error_message: outcome.errorMessage ?? null,
    deployment_id: outcome.deploymentId ?? null,
    deployment_name: outcome.deploymentName ?? null,
    attempts: outcome.attempts ?? 0,
    usage_source: outcome.usageSource ?? null,
  };
}
