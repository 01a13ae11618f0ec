import { describe, expect, it } from 'vitest';
import { describeCooldown } from '../../../src-renderer/src/lib/cooldown';
import { formatTime } from '../../../src-renderer/src/lib/format';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('describeCooldown (the health views)', () => {
  it('says nothing when the deployment is not cooling down', () => {
    expect(describeCooldown({ cooling_until: null, cooling_reason: null, consecutive_failures: 2 }, NOW)).toBeNull();
  });

  it("names the upstream's Retry-After and the whole wait, even past the back-off cap", () => {
    const until = NOW + 300_000;
    expect(describeCooldown({ cooling_until: until, cooling_reason: 'retry_after', consecutive_failures: 1 }, NOW)).toBe(
      `Cooling down until ${formatTime(until)} (5m 00s left): the upstream asked to retry later (Retry-After)`,
    );
  });

  it('names the back-off and the failures behind it', () => {
    const until = NOW + 20_000;
    expect(describeCooldown({ cooling_until: until, cooling_reason: 'backoff', consecutive_failures: 3 }, NOW)).toBe(
      `Cooling down until ${formatTime(until)} (20.0 s left): back-off after 3 failures in a row`,
    );
    expect(describeCooldown({ cooling_until: NOW + 5_000, cooling_reason: 'backoff', consecutive_failures: 1 }, NOW)).toMatch(/after 1 failure in a row$/);
  });

  it('reads an hour-long wait in minutes', () => {
    expect(describeCooldown({ cooling_until: NOW + 3_600_000, cooling_reason: 'retry_after', consecutive_failures: 1 }, NOW)).toContain('(60m 00s left)');
  });
});
