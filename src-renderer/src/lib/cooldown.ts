import type { DeploymentHealth } from '../types/gateway';
import { formatDuration, formatTime } from './format';

/**
 * A deployment's cooldown in words for the health views, or `null` when it is not cooling down: until when, how long
 * that still is (an upstream's `Retry-After` can last up to an hour), and whether the upstream asked for the wait or
 * the gateway backs off after failures.
 */
export function describeCooldown(health: Pick<DeploymentHealth, 'cooling_until' | 'cooling_reason' | 'consecutive_failures'>, now = Date.now()): string | null {
  if (!health.cooling_until) return null;
  const remaining = Math.max(0, health.cooling_until - now);
  const why =
    health.cooling_reason === 'retry_after'
      ? 'the upstream asked to retry later (Retry-After)'
      : `back-off after ${health.consecutive_failures} failure${health.consecutive_failures === 1 ? '' : 's'} in a row`;
  return `Cooling down until ${formatTime(health.cooling_until)} (${formatDuration(remaining)} left): ${why}`;
}
