/**
 * Choosing deployments for a call. Pure: the clock and the random source are passed in.
 *
 * For each call the router keeps the deployments of the model that are enabled, not cooling down, and whose RPM, TPM
 * and hourly-token windows can take the call's token estimate; it orders them by priority (lower first) and, within a
 * priority, by a weighted random draw where each weight is scaled by the deployment's headroom. Windows count the
 * estimate when the call starts and are corrected to the actual usage when it ends.
 *
 * A failed deployment cools down for as long as the upstream asked (`Retry-After` on a 429 or a 503), or, when it
 * did not say, for an exponential back-off.
 */
import { SlidingWindow, type WindowEntry } from './windows.js';

export interface RoutableDeployment {
  readonly id: string;
  readonly model: string;
  readonly enabled: boolean;
  readonly priority: number;
  readonly weight: number;
  /** 0 = unlimited. */
  readonly rpm: number;
  readonly tpm: number;
  readonly hourlyTokens: number;
}

export type FailureKind = 'connect' | 'timeout' | 'rate_limited' | 'server_error';

export interface RouterOptions {
  maxAttempts?: number;
  /** First cooldown after a failure without `Retry-After`; doubles with each consecutive failure up to `maxCooldownMs`. */
  baseCooldownMs?: number;
  maxCooldownMs?: number;
  /**
   * The longest `Retry-After` taken as given (default 1 hour). It guards against absurd values (a date years ahead, a
   * misplaced unit), not against an upstream that throttles for minutes: that wait is honoured in full.
   */
  maxRetryAfterMs?: number;
  random?: () => number;
}

/** Why a deployment cools down: the upstream's `Retry-After`, or the gateway's own back-off. */
export type CoolingReason = 'retry_after' | 'backoff';

export interface DeploymentHealth {
  cooling_until: number | null;
  /** `null` when not cooling down. */
  cooling_reason: CoolingReason | null;
  consecutive_failures: number;
  last_error: string | null;
  last_error_at: number | null;
  in_flight: number;
  p50_latency_ms: number | null;
  requests_last_minute: number;
  tokens_last_minute: number;
  tokens_last_hour: number;
}

/** A started attempt: the window entries to correct when it ends. */
export interface Reservation {
  readonly deploymentId: string;
  readonly requests: WindowEntry;
  readonly tokens: WindowEntry;
  readonly hourly: WindowEntry;
  done: boolean;
}

const LATENCY_SAMPLES = 101;
const MINUTE = 60_000;
const HOUR = 3_600_000;

class DeploymentState {
  readonly requests = new SlidingWindow(MINUTE);
  readonly tokens = new SlidingWindow(MINUTE);
  readonly hourly = new SlidingWindow(HOUR);
  coolingUntil = 0;
  coolingReason: CoolingReason = 'backoff';
  consecutiveFailures = 0;
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  inFlight = 0;
  latencies: number[] = [];

  /** Fraction of the tightest window still free after this call (1 when unlimited), or < 0 when it does not fit. */
  headroom(d: RoutableDeployment, estimate: number, now: number): number {
    let room = 1;
    if (d.rpm > 0) room = Math.min(room, 1 - (this.requests.total(now) + 1) / d.rpm);
    if (d.tpm > 0) room = Math.min(room, 1 - (this.tokens.total(now) + estimate) / d.tpm);
    if (d.hourlyTokens > 0) room = Math.min(room, 1 - (this.hourly.total(now) + estimate) / d.hourlyTokens);
    return room;
  }
}

export class DeploymentRouter {
  private readonly states = new Map<string, DeploymentState>();
  private readonly maxAttempts: number;
  private readonly baseCooldownMs: number;
  private readonly maxCooldownMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;

  constructor(options: RouterOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.baseCooldownMs = options.baseCooldownMs ?? 5_000;
    this.maxCooldownMs = options.maxCooldownMs ?? 120_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? HOUR;
    this.random = options.random ?? Math.random;
  }

  private state(id: string): DeploymentState {
    let s = this.states.get(id);
    if (!s) {
      s = new DeploymentState();
      this.states.set(id, s);
    }
    return s;
  }

  /**
   * Ordered attempts for a call with `estimate` tokens: at most `maxAttempts`, best priority first. Empty when no
   * deployment is enabled, out of cooldown and has room in its windows.
   */
  plan<D extends RoutableDeployment>(deployments: readonly D[], estimate: number, now: number): D[] {
    const usable: { d: D; room: number }[] = [];
    for (const d of deployments) {
      if (!d.enabled) continue;
      const s = this.state(d.id);
      if (s.coolingUntil > now) continue;
      const room = s.headroom(d, estimate, now);
      if (room < 0) continue;
      usable.push({ d, room });
    }
    const priorities = [...new Set(usable.map((u) => u.d.priority))].sort((a, b) => a - b);
    const ordered: D[] = [];
    for (const p of priorities) {
      const group = usable.filter((u) => u.d.priority === p);
      while (group.length > 0 && ordered.length < this.maxAttempts) {
        // Headroom scales the weight so a nearly full deployment gets less traffic before it is full.
        const weights = group.map((u) => Math.max(0, u.d.weight) * Math.max(0.01, u.room));
        const total = weights.reduce((a, b) => a + b, 0);
        let index = 0;
        if (total > 0) {
          let ticket = this.random() * total;
          index = weights.findIndex((w) => (ticket -= w) < 0);
          if (index < 0) index = group.length - 1;
        }
        ordered.push(group.splice(index, 1)[0]!.d);
      }
      if (ordered.length >= this.maxAttempts) break;
    }
    return ordered;
  }

  /** Counts a call against the deployment's windows with its estimate. */
  begin(deploymentId: string, estimate: number, now: number): Reservation {
    const s = this.state(deploymentId);
    s.inFlight++;
    return { deploymentId, requests: s.requests.add(now, 1), tokens: s.tokens.add(now, estimate), hourly: s.hourly.add(now, estimate), done: false };
  }

  /** Ends a call that reached the upstream: corrects the windows to `actualTokens` and records its latency. */
  finish(reservation: Reservation, actualTokens: number, latencyMs: number | null, now: number): void {
    if (reservation.done) return;
    reservation.done = true;
    const s = this.state(reservation.deploymentId);
    s.inFlight = Math.max(0, s.inFlight - 1);
    s.tokens.correct(reservation.tokens, actualTokens, now);
    s.hourly.correct(reservation.hourly, actualTokens, now);
    if (latencyMs !== null) {
      s.latencies.push(latencyMs);
      if (s.latencies.length > LATENCY_SAMPLES) s.latencies.shift();
    }
  }

  recordSuccess(deploymentId: string): void {
    this.state(deploymentId).consecutiveFailures = 0;
  }

  /**
   * Puts a deployment into cooldown after a failure before the first byte. When the upstream said how long to wait
   * (`retryAfterMs`: the caller passes the `Retry-After` of a 429 or a 503), it cools for exactly that, up to
   * `maxRetryAfterMs`; otherwise for an exponential back-off from `baseCooldownMs`, capped at
   * `maxCooldownMs`. Connect errors and timeouts have no answer, hence no `Retry-After`.
   */
  recordFailure(reservation: Reservation | string, kind: FailureKind, now: number, retryAfterMs?: number, message?: string): void {
    const id = typeof reservation === 'string' ? reservation : reservation.deploymentId;
    if (typeof reservation !== 'string') this.finish(reservation, 0, null, now);
    const s = this.state(id);
    s.consecutiveFailures++;
    const answered = kind === 'rate_limited' || kind === 'server_error';
    if (answered && retryAfterMs !== undefined && !Number.isNaN(retryAfterMs)) {
      s.coolingUntil = now + Math.min(this.maxRetryAfterMs, Math.max(0, retryAfterMs));
      s.coolingReason = 'retry_after';
    } else {
      s.coolingUntil = now + Math.min(this.maxCooldownMs, this.baseCooldownMs * 2 ** Math.min(20, s.consecutiveFailures - 1));
      s.coolingReason = 'backoff';
    }
    s.lastError = message ?? kind;
    s.lastErrorAt = now;
  }

  /** Seeds the hourly window from persisted usage (after a restart): `(at, tokens)` pairs. */
  seedHourly(deploymentId: string, entries: readonly { at: number; tokens: number }[]): void {
    const s = this.state(deploymentId);
    for (const e of entries) s.hourly.add(e.at, e.tokens);
  }

  health(deploymentId: string, now: number): DeploymentHealth {
    const s = this.state(deploymentId);
    const sorted = [...s.latencies].sort((a, b) => a - b);
    return {
      cooling_until: s.coolingUntil > now ? s.coolingUntil : null,
      cooling_reason: s.coolingUntil > now ? s.coolingReason : null,
      consecutive_failures: s.consecutiveFailures,
      last_error: s.lastError,
      last_error_at: s.lastErrorAt,
      in_flight: s.inFlight,
      p50_latency_ms: sorted.length > 0 ? sorted[Math.floor((sorted.length - 1) / 2)]! : null,
      requests_last_minute: s.requests.total(now),
      tokens_last_minute: s.tokens.total(now),
      tokens_last_hour: s.hourly.total(now),
    };
  }
}

/**
 * The enabled deployments in the order the router favours them when none is loaded or cooling down: best priority
 * first, then the largest weight (the likeliest first pick of the weighted draw). Ties keep the given order. What a
 * model's static description (e.g. its `provider` in `/models`) should follow; a call's actual order is `plan`'s.
 */
export function byRoutingPreference<D extends RoutableDeployment>(deployments: readonly D[]): D[] {
  return deployments.filter((d) => d.enabled).sort((a, b) => a.priority - b.priority || Math.max(0, b.weight) - Math.max(0, a.weight));
}

/** Kept for callers that only need the default router. */
export function createRouter(options: RouterOptions = {}): DeploymentRouter {
  return new DeploymentRouter(options);
}

export type Router = DeploymentRouter;
