/**
 * Choosing deployments for a call. Pure: the clock and the random source are passed in. The router keeps the
 * deployments of the model that are enabled and not cooling down, orders them by priority (lower first) and, within a
 * priority, by a weighted random draw, and hands back at most `maxAttempts` of them for failover.
 */

export interface RoutableDeployment {
  readonly id: string;
  readonly model: string;
  readonly enabled: boolean;
  readonly priority: number;
  readonly weight: number;
}

export type FailureKind = 'connect' | 'timeout' | 'rate_limited' | 'server_error';

export interface RouterOptions {
  maxAttempts?: number;
  /** First cooldown after a failure; doubles with each consecutive failure up to `maxCooldownMs`. */
  baseCooldownMs?: number;
  maxCooldownMs?: number;
  random?: () => number;
}

interface HealthState {
  consecutiveFailures: number;
  coolingUntil: number;
  lastError?: string;
}

export interface DeploymentHealth {
  coolingUntil: number;
  consecutiveFailures: number;
  lastError?: string;
}

export interface Router {
  /** Ordered attempts for this call (empty when nothing can take it). */
  plan<D extends RoutableDeployment>(deployments: readonly D[], now: number): D[];
  recordSuccess(deploymentId: string): void;
  recordFailure(deploymentId: string, kind: FailureKind, now: number, retryAfterMs?: number, message?: string): void;
  health(deploymentId: string): DeploymentHealth;
}

export function createRouter(options: RouterOptions = {}): Router {
  const maxAttempts = options.maxAttempts ?? 3;
  const baseCooldownMs = options.baseCooldownMs ?? 5_000;
  const maxCooldownMs = options.maxCooldownMs ?? 120_000;
  const random = options.random ?? Math.random;
  const states = new Map<string, HealthState>();

  function weightedOrder<D extends RoutableDeployment>(group: D[]): D[] {
    const pool = [...group];
    const ordered: D[] = [];
    while (pool.length > 0) {
      const total = pool.reduce((sum, d) => sum + Math.max(0, d.weight), 0);
      let index = 0;
      if (total > 0) {
        let ticket = random() * total;
        index = pool.findIndex((d) => (ticket -= Math.max(0, d.weight)) < 0);
        if (index < 0) index = pool.length - 1;
      }
      ordered.push(pool.splice(index, 1)[0]!);
    }
    return ordered;
  }

  return {
    plan(deployments, now) {
      const usable = deployments.filter((d) => d.enabled && (states.get(d.id)?.coolingUntil ?? 0) <= now);
      const priorities = [...new Set(usable.map((d) => d.priority))].sort((a, b) => a - b);
      const ordered = priorities.flatMap((p) => weightedOrder(usable.filter((d) => d.priority === p)));
      return ordered.slice(0, maxAttempts);
    },
    recordSuccess(deploymentId) {
      const state = states.get(deploymentId);
      if (state) state.consecutiveFailures = 0;
    },
    recordFailure(deploymentId, kind, now, retryAfterMs, message) {
      const state = states.get(deploymentId) ?? { consecutiveFailures: 0, coolingUntil: 0 };
      state.consecutiveFailures++;
      const backoff = Math.min(maxCooldownMs, baseCooldownMs * 2 ** (state.consecutiveFailures - 1));
      const cooldown = kind === 'rate_limited' && retryAfterMs !== undefined ? Math.min(maxCooldownMs, retryAfterMs) : backoff;
      state.coolingUntil = now + cooldown;
      state.lastError = message ?? kind;
      states.set(deploymentId, state);
    },
    health(deploymentId) {
      const state = states.get(deploymentId);
      return { coolingUntil: state?.coolingUntil ?? 0, consecutiveFailures: state?.consecutiveFailures ?? 0, lastError: state?.lastError };
    },
  };
}
