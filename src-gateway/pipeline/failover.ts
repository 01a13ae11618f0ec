import { gatewayError } from '../errors.js';
import type { Deployment } from '../db/deployments-repository.js';
import type { Reservation } from '../domain/routing.js';
import { providerFor } from '../providers/index.js';
import { classifyTransportError, retryAfterMs, type UpstreamResponse } from '../providers/http.js';
import type { Provider, UpstreamCall } from '../providers/types.js';
import type { PipelineContext } from './context.js';

/** One deployment the call may go to, with what building its upstream call needs. */
export interface AttemptTarget {
  deployment: Deployment;
  provider: Provider;
  secret: string;
}

export interface FailoverOptions {
  ctx: PipelineContext;
  /** The router's ordered attempts (at most three), not empty. */
  plan: readonly Deployment[];
  /** Tokens counted against each attempted deployment's windows until the call ends. */
  estimate: number;
  signal: AbortSignal;
  clientGone: () => boolean;
  /** Told as each attempt starts, for the usage row's attempt count and serving deployment. */
  onAttempt: (deployment: Deployment) => void;
  build: (target: AttemptTarget) => UpstreamCall;
}

/** The upstream answered 2xx: the caller reads it and ends `reservation` with the actual usage. */
export interface Answered {
  res: UpstreamResponse;
  deployment: Deployment;
  provider: Provider;
  reservation: Reservation;
}

interface Failure {
  kind: 'timeout' | 'connect' | 'network' | 'status' | 'config';
  message: string;
}

/**
 * Sends a call to the first deployment of the plan that answers, failing over before the first byte: connect errors,
 * timeouts, 429 (cooling down for `Retry-After`), 5xx and deployment misconfiguration (401/403/404, Google's 400
 * API_KEY_INVALID, a token service that refuses the credentials) move on to the next deployment. A 400/413/415/422 is
 * the client's request: it is answered at once. Exhausted: `upstream_timeout` when every attempt timed out, else
 * `upstream_error`. Shared by every billed endpoint so they all fail over alike.
 */
export async function sendWithFailover(options: FailoverOptions): Promise<Answered> {
  const { ctx, estimate, signal } = options;
  const failures: Failure[] = [];

  for (const deployment of options.plan) {
    options.onAttempt(deployment);
    const provider = providerFor(deployment.provider)!;
    const secret = await ctx.live.secretFor(deployment);
    if (!secret) {
      failures.push({ kind: 'config', message: `deployment ${deployment.name} has no secret in the vault` });
      continue;
    }
    let call: UpstreamCall;
    try {
      call = options.build({ deployment, provider, secret });
    } catch (err) {
      // JSON.parse takes any depth, JSON.stringify overflows the stack on absurdly nested input: the client's fault.
      if (err instanceof RangeError) throw gatewayError('invalid_request', 'The request body is nested too deeply.');
      throw err;
    }
    if (provider.authorize) {
      try {
        call = await provider.authorize(call, { deployment, secret });
      } catch (err) {
        // Credentials the token service refuses (or cannot be reached for) are this deployment's problem: cool it
        // down (the admin sees why in its health) and fail over.
        const message = `deployment ${deployment.name} could not authorize: ${(err as Error).message}`;
        ctx.router.recordFailure(deployment.id, 'connect', Date.now(), undefined, message);
        failures.push({ kind: 'config', message });
        continue;
      }
    }

    const reservation = ctx.router.begin(deployment.id, estimate, Date.now());
    let res: UpstreamResponse;
    try {
      res = await ctx.upstream.send(call, signal);
    } catch (err) {
      const kind = classifyTransportError(err);
      if (kind === 'aborted' || options.clientGone()) {
        ctx.router.finish(reservation, 0, null, Date.now());
        throw gatewayError('invalid_request', 'The client closed the connection.', { status: 499 });
      }
      ctx.router.recordFailure(reservation, kind === 'timeout' ? 'timeout' : 'connect', Date.now(), undefined, `${kind} error`);
      failures.push({ kind, message: `${kind} error` });
      continue;
    }

    if (res.status >= 200 && res.status < 300) {
      ctx.router.recordSuccess(deployment.id);
      return { res, deployment, provider, reservation };
    }

    const text = await res.body.text().catch(() => '');
    const upstream = upstreamErrorOf(text);
    // Google answers a bad API key with 400 API_KEY_INVALID: that is the deployment's credentials, not the client's request.
    const badCredentials = res.status === 400 && /API_KEY_INVALID|API key not valid/i.test(text);
    if ((res.status === 400 && !badCredentials) || res.status === 413 || res.status === 415 || res.status === 422) {
      ctx.router.finish(reservation, 0, null, Date.now());
      throw gatewayError('invalid_request', `The upstream rejected the request: ${upstream.message}`, { param: upstream.param });
    }
    ctx.router.recordFailure(reservation, res.status === 429 ? 'rate_limited' : 'server_error', Date.now(), retryAfterMs(res.headers), `HTTP ${res.status}: ${upstream.message}`);
    failures.push({ kind: 'status', message: `HTTP ${res.status}: ${upstream.message}` });
  }

  if (failures.every((f) => f.kind === 'timeout')) throw gatewayError('upstream_timeout');
  throw gatewayError('upstream_error', `The upstream failed: ${failures[failures.length - 1]?.message ?? 'no attempt succeeded'}`);
}

/** The message and `param` of an upstream error body (OpenAI, Anthropic, Google and FastAPI-style shapes). */
export function upstreamErrorOf(text: string): { message: string; param: string | null } {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; param?: unknown } | string; message?: unknown; detail?: unknown };
    const message = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message ?? body.detail);
    const param = typeof body.error === 'object' && typeof body.error?.param === 'string' ? body.error.param : null;
    if (typeof message === 'string') return { message: message.slice(0, 500), param };
  } catch {
    // not JSON
  }
  return { message: text.slice(0, 200) || 'no details', param: null };
}
