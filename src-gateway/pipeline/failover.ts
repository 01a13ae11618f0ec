import { gatewayError } from '../errors.js';
import type { Deployment } from '../db/deployments-repository.js';
import type { Reservation } from '../domain/routing.js';
import { providerFor } from '../providers/index.js';
import { classifyTransportError, retryAfterMs, type BodyStart, type TransportFailure, type UpstreamResponse } from '../providers/http.js';
import type { Provider, UpstreamCall } from '../providers/types.js';
import type { PipelineContext } from './context.js';

/** One deployment the call may go to, with what building its upstream call needs. */
export interface AttemptTarget<P = Provider> {
  deployment: Deployment;
  provider: P;
  secret: string;
}

/** What the loop uses of an upstream: credentials that need I/O, added to a built call (chat and job providers alike). */
export interface AttemptProvider<C> {
  authorize?(call: C, target: { deployment: Deployment; secret: string }): Promise<C>;
}

/** What the loop reads of an answer: its status, its headers (`Retry-After`) and, when it is an error, its text. */
export interface AttemptAnswer {
  status: number;
  headers: UpstreamResponse['headers'];
  body: { text(): Promise<string> };
}

/**
 * How attempts reach their deployments for a caller with its own upstreams and HTTP client (the media job runner).
 * Absent, the chat provider map and `ctx.upstream` are used.
 */
export interface AttemptTransport<P, C, R extends AttemptAnswer> {
  /** The deployment's upstream. */
  provider(deployment: Deployment): P;
  /** Sends one attempt, after it counts against the deployment's windows; rejects when the transport fails. */
  send(call: C, target: AttemptTarget<P>, signal: AbortSignal): Promise<R>;
  /** Sorts a rejection of `send` into the kinds routing cares about. */
  failure(err: unknown): TransportFailure;
  /**
   * Checks a 2xx answer before the call is given it. A throw means the deployment answered with nothing the caller can
   * use: it is failed over like a 5xx, the thrown message standing for it.
   */
  accept?(res: R, target: AttemptTarget<P>): void;
}

export interface FailoverOptions<P = Provider, C = UpstreamCall, R extends AttemptAnswer = UpstreamResponse> {
  ctx: PipelineContext;
  /** The router's ordered attempts (at most three), not empty. */
  plan: readonly Deployment[];
  /** Tokens counted against each attempted deployment's windows until the call ends. */
  estimate: number;
  signal: AbortSignal;
  clientGone: () => boolean;
  /** Told as each attempt starts, for the usage row's attempt count and serving deployment. */
  onAttempt: (deployment: Deployment) => void;
  /** Builds the attempt's call; a RangeError means the client's body is nested too deeply. */
  build: (target: AttemptTarget<P>) => C;
  /** How attempts are sent when not through the chat client; absent on the chat and media paths. */
  transport?: AttemptTransport<P, C, R>;
  /**
   * Streamed answers (chat client only): how long to wait for a 2xx answer's first body bytes before the caller gets
   * it. A body that ends or breaks before its first byte fails over like a 5xx, since the client has not been sent
   * anything yet; one still silent after this long is handed over as it is (the caller's heartbeats take over, and the
   * call is committed to this deployment). Absent: a 2xx is handed over at its headers.
   */
  firstBytesWithinMs?: number;
}

/** The upstream answered 2xx: the caller reads it and ends `reservation` with the actual usage. */
export interface Answered<P = Provider, R = UpstreamResponse> {
  res: R;
  deployment: Deployment;
  provider: P;
  reservation: Reservation;
}

interface Failure {
  kind: 'timeout' | 'connect' | 'network' | 'status' | 'config';
  message: string;
}

/**
 * Sends a call to the first deployment of the plan that answers, failing over before the first byte: connect errors,
 * timeouts, 429 (cooling down for `Retry-After`), 5xx, a stream that ends or breaks before its first byte
 * (`firstBytesWithinMs`) and deployment misconfiguration (401/403/404, Google's 400 API_KEY_INVALID, a token service
 * that refuses the credentials) move on to the next deployment. A 400/413/415/422 is the client's request: it is
 * answered at once. Exhausted: `upstream_timeout` when every attempt timed out, else
 * `upstream_error`. Shared by every billed endpoint, and by media job submits through `transport`, so they all fail
 * over alike.
 */
export async function sendWithFailover<P = Provider, C = UpstreamCall, R extends AttemptAnswer = UpstreamResponse>(
  options: FailoverOptions<P, C, R>,
): Promise<Answered<P, R>> {
  const { ctx, estimate, signal, transport } = options;
  const failures: Failure[] = [];

  for (const deployment of options.plan) {
    options.onAttempt(deployment);
    // Without a transport P, C and R are the defaults (Provider, UpstreamCall, UpstreamResponse).
    const provider = transport ? transport.provider(deployment) : (providerFor(deployment.provider)! as unknown as P);
    const secret = await ctx.live.secretFor(deployment);
    if (!secret) {
      failures.push({ kind: 'config', message: `deployment ${deployment.name} has no secret in the vault` });
      continue;
    }
    const target: AttemptTarget<P> = { deployment, provider, secret };
    let call: C;
    try {
      call = options.build(target);
    } catch (err) {
      // JSON.parse takes any depth, JSON.stringify overflows the stack on absurdly nested input: the client's fault.
      if (err instanceof RangeError) throw gatewayError('invalid_request', 'The request body is nested too deeply.');
      throw err;
    }
    const credentials = provider as AttemptProvider<C>;
    if (credentials.authorize) {
      try {
        call = await credentials.authorize(call, { deployment, secret });
      } catch (err) {
        // Credentials the token service refuses (or cannot be reached for) are this deployment's problem: cool it
        // down (the admin sees why in its health) and fail over.
        const message = `deployment ${deployment.name} could not authorize: ${(err as Error).message}`;
        ctx.router.recordFailure(deployment.id, 'connect', Date.now(), undefined, message);
        failures.push({ kind: 'config', message });
        continue;
      }
    }

    // The call goes out first (the upstream client writes it to a free connection at once), so the router's
    // bookkeeping runs while the upstream works rather than before it starts.
    const sending = transport ? transport.send(call, target, signal) : (ctx.upstream.send(call as unknown as UpstreamCall, signal) as unknown as Promise<R>);
    const reservation = ctx.router.begin(deployment.id, estimate, Date.now());
    let res: R;
    try {
      res = await sending;
    } catch (err) {
      const kind = transport ? transport.failure(err) : classifyTransportError(err);
      if (kind === 'aborted' || options.clientGone()) throw clientClosed(ctx, reservation);
      ctx.router.recordFailure(reservation, kind === 'timeout' ? 'timeout' : 'connect', Date.now(), undefined, `${kind} error`);
      failures.push({ kind, message: `${kind} error` });
      continue;
    }

    if (res.status >= 200 && res.status < 300) {
      if (transport?.accept) {
        try {
          transport.accept(res, target);
        } catch (err) {
          const message = (err as Error).message;
          ctx.router.recordFailure(reservation, 'server_error', Date.now(), undefined, message);
          failures.push({ kind: 'status', message });
          continue;
        }
      }
      if (options.firstBytesWithinMs !== undefined) {
        const body = (res as unknown as UpstreamResponse).body;
        const start = body.beginning ?? (await firstBytes(body, options.firstBytesWithinMs));
        if (start === 'end' || start === 'error') {
          if (options.clientGone()) throw clientClosed(ctx, reservation);
          const message = `the stream ${start === 'end' ? 'ended' : 'broke'} before its first byte`;
          ctx.router.recordFailure(reservation, 'server_error', Date.now(), undefined, message);
          failures.push({ kind: 'network', message });
          continue;
        }
      }
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
    // Retry-After means "come back then" on a 429 or a 503; on other errors it is not a promise worth a long cooldown.
    const retryAfter = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers) : undefined;
    ctx.router.recordFailure(reservation, res.status === 429 ? 'rate_limited' : 'server_error', Date.now(), retryAfter, `HTTP ${res.status}: ${upstream.message}`);
    failures.push({ kind: 'status', message: `HTTP ${res.status}: ${upstream.message}` });
  }

  if (failures.every((f) => f.kind === 'timeout')) throw gatewayError('upstream_timeout');
  throw gatewayError('upstream_error', `The upstream failed: ${failures[failures.length - 1]?.message ?? 'no attempt succeeded'}`);
}

/** The client went away during an attempt: its reservation ends unused, and the call with a 499. */
function clientClosed(ctx: PipelineContext, reservation: Reservation) {
  ctx.router.finish(reservation, 0, null, Date.now());
  return gatewayError('invalid_request', 'The client closed the connection.', { status: 499 });
}

/** How `body` began, or `'silent'` when nothing came within `ms`. */
function firstBytes(body: UpstreamResponse['body'], ms: number): Promise<BodyStart | 'silent'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('silent'), ms);
    void body.began().then((start) => {
      clearTimeout(timer);
      resolve(start);
    });
  });
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
