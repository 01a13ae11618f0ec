import { describe, expect, it } from 'vitest';
import { byRoutingPreference, createRouter, type RoutableDeployment } from '../../../src-gateway/domain/routing.js';

/** mulberry32: a small seeded PRNG, so the distribution checks are reproducible. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const dep = (id: string, fields: Partial<RoutableDeployment> = {}): RoutableDeployment => ({
  id,
  model: 'gpt-4o-mini',
  enabled: true,
  priority: 0,
  weight: 1,
  rpm: 0,
  tpm: 0,
  hourlyTokens: 0,
  ...fields,
});
const ESTIMATE = 100;
const ids = (list: readonly RoutableDeployment[]) => list.map((d) => d.id);

/** How often each deployment is tried first over `n` plans. */
function firstPicks(deployments: RoutableDeployment[], n: number, seed = 42): Record<string, number> {
  const router = createRouter({ random: seededRandom(seed), maxAttempts: deployments.length });
  const counts: Record<string, number> = Object.fromEntries(deployments.map((d) => [d.id, 0]));
  for (let i = 0; i < n; i++) counts[router.plan(deployments, ESTIMATE, 0)[0]!.id]!++;
  return counts;
}

describe('router', () => {
  describe('priority groups', () => {
    it('tries every deployment of a lower priority before any of a higher one', () => {
      const router = createRouter({ random: seededRandom(1), maxAttempts: 10 });
      const deployments = [dep('p2', { priority: 2, weight: 100 }), dep('p0-a', { priority: 0 }), dep('p1', { priority: 1, weight: 50 }), dep('p0-b', { priority: 0 })];
      for (let i = 0; i < 200; i++) {
        const plan = ids(router.plan(deployments, ESTIMATE, 0));
        expect(plan.slice(0, 2).sort()).toEqual(['p0-a', 'p0-b']);
        expect(plan.slice(2)).toEqual(['p1', 'p2']);
      }
    });

    it('falls back to the next priority while the better one cools down', () => {
      const router = createRouter({ random: seededRandom(2) });
      const deployments = [dep('primary', { priority: 0 }), dep('backup', { priority: 1 })];
      router.recordFailure('primary', 'server_error', 1_000);
      expect(ids(router.plan(deployments, ESTIMATE, 1_001))).toEqual(['backup']);
    });

    it('skips disabled deployments', () => {
      const router = createRouter({ random: seededRandom(3) });
      expect(ids(router.plan([dep('off', { enabled: false }), dep('on')], ESTIMATE, 0))).toEqual(['on']);
      expect(router.plan([dep('off', { enabled: false })], ESTIMATE, 0)).toEqual([]);
    });

    it('plans nothing for no deployments', () => {
      expect(createRouter().plan([], ESTIMATE, 0)).toEqual([]);
    });
  });

  describe('weights', () => {
    it('spreads first picks in proportion to weight over 10,000 calls (1:3)', () => {
      const counts = firstPicks([dep('light', { weight: 1 }), dep('heavy', { weight: 3 })], 10_000);
      expect(counts.light! / 10_000).toBeCloseTo(0.25, 1);
      expect(Math.abs(counts.light! / 10_000 - 0.25)).toBeLessThan(0.02);
      expect(Math.abs(counts.heavy! / 10_000 - 0.75)).toBeLessThan(0.02);
    });

    it('spreads first picks in proportion to weight over 10,000 calls (1:2:7), for several seeds', () => {
      for (const seed of [7, 1234, 99_999]) {
        const counts = firstPicks([dep('a', { weight: 1 }), dep('b', { weight: 2 }), dep('c', { weight: 7 })], 10_000, seed);
        expect(Math.abs(counts.a! / 10_000 - 0.1), `seed ${seed}`).toBeLessThan(0.02);
        expect(Math.abs(counts.b! / 10_000 - 0.2), `seed ${seed}`).toBeLessThan(0.02);
        expect(Math.abs(counts.c! / 10_000 - 0.7), `seed ${seed}`).toBeLessThan(0.02);
      }
    });

    it('orders the failover attempts by weight too (draws without replacement)', () => {
      const router = createRouter({ random: seededRandom(5), maxAttempts: 3 });
      const deployments = [dep('a', { weight: 1 }), dep('b', { weight: 1 }), dep('c', { weight: 2 })];
      let cSecondGivenAFirst = 0;
      let aFirst = 0;
      for (let i = 0; i < 10_000; i++) {
        const plan = ids(router.plan(deployments, ESTIMATE, 0));
        expect(plan.slice().sort()).toEqual(['a', 'b', 'c']);
        if (plan[0] === 'a') {
          aFirst++;
          if (plan[1] === 'c') cSecondGivenAFirst++;
        }
      }
      // After a, the remaining weights are b:1, c:2.
      expect(Math.abs(cSecondGivenAFirst / aFirst - 2 / 3)).toBeLessThan(0.03);
    });

    it('never puts a weight-0 deployment first while another has weight, but keeps it for failover', () => {
      const router = createRouter({ random: seededRandom(11), maxAttempts: 3 });
      const deployments = [dep('drained', { weight: 0 }), dep('live', { weight: 1 })];
      for (let i = 0; i < 1_000; i++) expect(ids(router.plan(deployments, ESTIMATE, 0))).toEqual(['live', 'drained']);
    });

    it('still plans deployments whose weights are all 0', () => {
      const router = createRouter({ random: seededRandom(12) });
      expect(ids(router.plan([dep('a', { weight: 0 }), dep('b', { weight: 0 })], ESTIMATE, 0)).sort()).toEqual(['a', 'b']);
    });

    it('copes with a random source that returns values at its bounds', () => {
      for (const value of [0, 0.999_999_999_999]) {
        const router = createRouter({ random: () => value });
        expect(ids(router.plan([dep('a'), dep('b', { weight: 2 })], ESTIMATE, 0)).sort()).toEqual(['a', 'b']);
      }
    });
  });

  describe('cooldown and back-off', () => {
    /** When the deployment is usable again, relative to `now`. */
    const cooldownAfter = (router: ReturnType<typeof createRouter>, id: string, now: number) => (router.health(id, now).cooling_until ?? now) - now;

    it('cools a failed deployment for the base cooldown, then uses it again', () => {
      const router = createRouter({ random: seededRandom(21), baseCooldownMs: 5_000 });
      const deployments = [dep('a'), dep('b')];
      router.recordFailure('a', 'connect', 10_000, undefined, 'connect error');
      expect(router.health('a', 10_000)).toMatchObject({ cooling_until: 15_000, cooling_reason: 'backoff', consecutive_failures: 1, last_error: 'connect error', last_error_at: 10_000 });
      expect(ids(router.plan(deployments, ESTIMATE, 14_999))).toEqual(['b']);
      expect(ids(router.plan(deployments, ESTIMATE, 15_000)).sort()).toEqual(['a', 'b']);
      expect(router.health('a', 15_000).cooling_until).toBeNull();
    });

    it('doubles the cooldown with each consecutive failure, up to the cap', () => {
      const router = createRouter({ baseCooldownMs: 1_000, maxCooldownMs: 10_000 });
      const cooldowns: number[] = [];
      let now = 0;
      for (let i = 0; i < 7; i++) {
        router.recordFailure('a', i % 2 ? 'timeout' : 'server_error', now);
        cooldowns.push(cooldownAfter(router, 'a', now));
        now += cooldowns[i]!;
      }
      expect(cooldowns).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
    });

    it('has defaults of 5 s doubling to at most 120 s, and stays capped after many failures', () => {
      const router = createRouter();
      const cooldowns: number[] = [];
      for (let i = 0; i < 100; i++) {
        router.recordFailure('a', 'server_error', 0);
        cooldowns.push(cooldownAfter(router, 'a', 0));
      }
      expect(cooldowns.slice(0, 8)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000, 120_000]);
      expect(cooldowns.at(-1)).toBe(120_000);
    });

    it('starts over after a success', () => {
      const router = createRouter({ baseCooldownMs: 1_000 });
      router.recordFailure('a', 'server_error', 0);
      router.recordFailure('a', 'server_error', 1_000);
      router.recordSuccess('a');
      expect(router.health('a', 5_000).consecutive_failures).toBe(0);
      router.recordFailure('a', 'server_error', 5_000);
      expect(router.health('a', 5_000).cooling_until).toBe(6_000);
    });

    it('keeps deployments apart', () => {
      const router = createRouter();
      router.recordFailure('a', 'server_error', 0);
      expect(router.health('b', 0)).toMatchObject({ cooling_until: null, consecutive_failures: 0, last_error: null });
    });

    it('reports a healthy, idle state for a deployment it never saw', () => {
      const router = createRouter();
      router.recordSuccess('new');
      expect(router.health('new', 0)).toEqual({
        cooling_until: null,
        cooling_reason: null,
        consecutive_failures: 0,
        last_error: null,
        last_error_at: null,
        in_flight: 0,
        p50_latency_ms: null,
        requests_last_minute: 0,
        tokens_last_minute: 0,
        tokens_last_hour: 0,
      });
    });

    it('plans nothing while every deployment cools down', () => {
      const router = createRouter();
      router.recordFailure('a', 'server_error', 0);
      router.recordFailure('b', 'timeout', 0);
      expect(router.plan([dep('a'), dep('b')], ESTIMATE, 1)).toEqual([]);
    });

    it('ends the reservation of a failed attempt: the request counts, its tokens do not', () => {
      const router = createRouter();
      const reservation = router.begin('a', 500, 0);
      expect(router.health('a', 0)).toMatchObject({ in_flight: 1, requests_last_minute: 1, tokens_last_minute: 500 });
      router.recordFailure(reservation, 'server_error', 10);
      expect(router.health('a', 10)).toMatchObject({ in_flight: 0, requests_last_minute: 1, tokens_last_minute: 0, tokens_last_hour: 0, consecutive_failures: 1 });
    });
  });

  describe('Retry-After', () => {
    it('cools for exactly the time the upstream asked, longer or shorter than the back-off', () => {
      const router = createRouter({ baseCooldownMs: 5_000 });
      router.recordFailure('a', 'rate_limited', 1_000, 30_000);
      expect(router.health('a', 1_000)).toMatchObject({ cooling_until: 31_000, cooling_reason: 'retry_after' });
      router.recordFailure('b', 'rate_limited', 1_000, 1_000);
      expect(router.health('b', 1_000).cooling_until).toBe(2_000);
      expect(ids(router.plan([dep('a'), dep('b')], ESTIMATE, 2_000))).toEqual(['b']);
      expect(ids(router.plan([dep('a'), dep('b')], ESTIMATE, 31_000)).sort()).toEqual(['a', 'b']);
    });

    it('regression: honours a 429 Retry-After of 300 s in full instead of cutting it to the 120 s back-off cap', () => {
      const router = createRouter();
      const deployments = [dep('throttled'), dep('other')];
      router.recordFailure('throttled', 'rate_limited', 0, 300_000, 'HTTP 429: Rate limit is exceeded.');
      expect(router.health('throttled', 0)).toMatchObject({ cooling_until: 300_000, cooling_reason: 'retry_after', consecutive_failures: 1 });
      expect(ids(router.plan(deployments, ESTIMATE, 120_000))).toEqual(['other']);
      expect(ids(router.plan(deployments, ESTIMATE, 299_999))).toEqual(['other']);
      expect(ids(router.plan(deployments, ESTIMATE, 300_000)).sort()).toEqual(['other', 'throttled']);
    });

    it('honours the Retry-After of a 503 (or any answered error) the same way', () => {
      const router = createRouter({ baseCooldownMs: 5_000 });
      router.recordFailure('a', 'server_error', 0, 600_000);
      expect(router.health('a', 0)).toMatchObject({ cooling_until: 600_000, cooling_reason: 'retry_after' });
      router.recordFailure('b', 'server_error', 0, 2_000);
      expect(router.health('b', 0).cooling_until).toBe(2_000);
    });

    it('uses the back-off when the answer carries no Retry-After', () => {
      const router = createRouter({ baseCooldownMs: 5_000 });
      router.recordFailure('a', 'rate_limited', 0);
      expect(router.health('a', 0)).toMatchObject({ cooling_until: 5_000, cooling_reason: 'backoff' });
      router.recordFailure('b', 'server_error', 0, Number.NaN);
      expect(router.health('b', 0)).toMatchObject({ cooling_until: 5_000, cooling_reason: 'backoff' });
    });

    it('bounds an absurd Retry-After at one hour by default, and at a configured bound', () => {
      const router = createRouter();
      router.recordFailure('a', 'rate_limited', 0, 30 * 86_400_000);
      expect(router.health('a', 0).cooling_until).toBe(3_600_000);
      router.recordFailure('b', 'server_error', 0, Number.POSITIVE_INFINITY);
      expect(router.health('b', 0).cooling_until).toBe(3_600_000);
      const strict = createRouter({ maxRetryAfterMs: 600_000 });
      strict.recordFailure('a', 'rate_limited', 0, 3_600_000);
      expect(strict.health('a', 0).cooling_until).toBe(600_000);
    });

    it('takes a negative Retry-After as zero: no cooldown', () => {
      const router = createRouter();
      router.recordFailure('b', 'rate_limited', 0, -5_000);
      expect(router.health('b', 0)).toMatchObject({ cooling_until: null, cooling_reason: null, consecutive_failures: 1 });
    });

    it('keeps the back-off cap for failures without an answer, whatever is passed', () => {
      const router = createRouter({ baseCooldownMs: 5_000, maxCooldownMs: 120_000 });
      router.recordFailure('a', 'timeout', 0, 300_000);
      expect(router.health('a', 0)).toMatchObject({ cooling_until: 5_000, cooling_reason: 'backoff' });
      router.recordFailure('b', 'connect', 0, 300_000);
      expect(router.health('b', 0).cooling_until).toBe(5_000);
    });

    it('goes back to the back-off, still counting failures, once the upstream stops sending Retry-After', () => {
      const router = createRouter({ baseCooldownMs: 1_000 });
      router.recordFailure('a', 'rate_limited', 0, 300_000);
      router.recordFailure('a', 'server_error', 300_000);
      expect(router.health('a', 300_000)).toMatchObject({ cooling_until: 302_000, cooling_reason: 'backoff', consecutive_failures: 2 });
    });

    it('reports no reason once the cooldown is over', () => {
      const router = createRouter();
      router.recordFailure('a', 'rate_limited', 0, 10_000);
      expect(router.health('a', 10_000)).toMatchObject({ cooling_until: null, cooling_reason: null });
    });
  });

  describe('deployment windows (rpm, tpm, hourly tokens)', () => {
    it('skips a deployment whose rpm window is full until its oldest call leaves', () => {
      const router = createRouter({ random: seededRandom(51) });
      const deployments = [dep('small', { rpm: 2 }), dep('big')];
      router.begin('small', 1, 0);
      router.begin('small', 1, 1_000);
      expect(ids(router.plan(deployments, 1, 2_000))).toEqual(['big']);
      expect(ids(router.plan(deployments, 1, 60_000)).sort()).toEqual(['big', 'small']);
    });

    it('skips a deployment whose tpm window cannot take this estimate, but takes a smaller call', () => {
      const router = createRouter({ random: seededRandom(52) });
      const deployments = [dep('a', { tpm: 1_000 })];
      router.begin('a', 700, 0);
      expect(router.plan(deployments, 301, 1)).toEqual([]);
      expect(ids(router.plan(deployments, 300, 1))).toEqual(['a']);
    });

    it('corrects the windows to the actual usage when a call finishes', () => {
      const router = createRouter();
      const deployments = [dep('a', { tpm: 1_000, hourlyTokens: 5_000 })];
      const reservation = router.begin('a', 900, 0);
      expect(router.plan(deployments, 200, 1)).toEqual([]);
      router.finish(reservation, 150, 42, 2);
      expect(ids(router.plan(deployments, 200, 3))).toEqual(['a']);
      expect(router.health('a', 3)).toMatchObject({ tokens_last_minute: 150, tokens_last_hour: 150, in_flight: 0, p50_latency_ms: 42 });
      router.finish(reservation, 9_999, 1, 4); // a second finish is ignored
      expect(router.health('a', 4).tokens_last_minute).toBe(150);
    });

    it('keeps the hourly window for an hour, and rebuilds it from seeded usage', () => {
      const router = createRouter();
      const deployments = [dep('a', { hourlyTokens: 1_000 })];
      router.seedHourly('a', [
        { at: 0, tokens: 400 },
        { at: 60_000, tokens: 500 },
      ]);
      expect(router.plan(deployments, 200, 120_000)).toEqual([]);
      expect(ids(router.plan(deployments, 100, 120_000))).toEqual(['a']);
      expect(ids(router.plan(deployments, 500, 3_600_000))).toEqual(['a']);
    });

    it('sends less traffic to a deployment that is nearly full (weight scaled by headroom)', () => {
      const router = createRouter({ random: seededRandom(53), maxAttempts: 1 });
      const deployments = [dep('busy', { tpm: 10_000 }), dep('idle', { tpm: 10_000 })];
      router.begin('busy', 8_000, 0);
      let busy = 0;
      for (let i = 0; i < 10_000; i++) if (router.plan(deployments, 1_000, 1)[0]!.id === 'busy') busy++;
      // Room after this call: busy 1 − 9 000/10 000 = 0.1, idle 0.9 → busy gets about 10 %.
      expect(Math.abs(busy / 10_000 - 0.1)).toBeLessThan(0.02);
    });
  });

  describe('maxAttempts', () => {
    it('hands back at most 3 attempts by default', () => {
      const router = createRouter({ random: seededRandom(31) });
      const deployments = ['a', 'b', 'c', 'd', 'e'].map((id) => dep(id));
      expect(router.plan(deployments, ESTIMATE, 0)).toHaveLength(3);
    });

    it('honours a configured limit, across priorities', () => {
      const router = createRouter({ random: seededRandom(32), maxAttempts: 2 });
      const deployments = [dep('a', { priority: 0 }), dep('b', { priority: 1 }), dep('c', { priority: 2 })];
      expect(ids(router.plan(deployments, ESTIMATE, 0))).toEqual(['a', 'b']);
    });

    it('hands back fewer when fewer can take the call', () => {
      const router = createRouter({ random: seededRandom(33) });
      expect(router.plan([dep('a'), dep('b')], ESTIMATE, 0)).toHaveLength(2);
    });
  });

  describe('byRoutingPreference (the static order a model is described by)', () => {
    it('puts the best priority first, then the largest weight, and leaves disabled deployments out', () => {
      const deployments = [dep('p1', { priority: 1, weight: 9 }), dep('light', { weight: 1 }), dep('off', { priority: -1, enabled: false }), dep('heavy', { weight: 3 })];
      expect(ids(byRoutingPreference(deployments))).toEqual(['heavy', 'light', 'p1']);
    });

    it('keeps the given order on ties and ranks a negative weight like 0, as the draw does', () => {
      expect(ids(byRoutingPreference([dep('a'), dep('b'), dep('neg', { weight: -5 }), dep('zero', { weight: 0 })]))).toEqual(['a', 'b', 'neg', 'zero']);
    });

    it('matches the first pick of a plan whenever the best priority has one deployment of the largest weight', () => {
      const router = createRouter({ random: seededRandom(61) });
      const deployments = [dep('backup', { priority: 1 }), dep('primary', { priority: 0 })];
      expect(byRoutingPreference(deployments)[0]!.id).toBe('primary');
      expect(router.plan(deployments, ESTIMATE, 0)[0]!.id).toBe('primary');
    });

    it('does not reorder the list it was given', () => {
      const deployments = [dep('b', { priority: 1 }), dep('a')];
      byRoutingPreference(deployments);
      expect(ids(deployments)).toEqual(['b', 'a']);
    });
  });

  it('returns the caller\'s own objects, without mutating the list it was given', () => {
    const router = createRouter({ random: seededRandom(41) });
    const deployments = [dep('a'), dep('b', { weight: 5 })];
    const before = [...deployments];
    const plan = router.plan(deployments, ESTIMATE, 0);
    expect(deployments).toEqual(before);
    for (const d of plan) expect(deployments).toContain(d);
  });
});
