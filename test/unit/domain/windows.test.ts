import { describe, expect, it } from 'vitest';
import { KeyRateLimiter, SlidingWindow, type AdmitResult } from '../../../src-gateway/domain/windows.js';

// The clock is a plain number of milliseconds throughout.
const MINUTE = 60_000;

function admitted(result: AdmitResult) {
  if (!result.ok) throw new Error(`expected an admission, got a ${result.limit} refusal`);
  return result;
}

function refused(result: AdmitResult) {
  if (result.ok) throw new Error('expected a refusal');
  return result;
}

describe('SlidingWindow', () => {
  it('sums the entries younger than its length', () => {
    const w = new SlidingWindow(MINUTE);
    w.add(0, 10);
    w.add(1_000, 5);
    expect(w.total(1_000)).toBe(15);
    expect(w.total(59_999)).toBe(15);
  });

  it('drops an entry exactly when it is one window length old, not a millisecond before', () => {
    const w = new SlidingWindow(MINUTE);
    w.add(1_000, 7);
    expect(w.total(1_000 + MINUTE - 1)).toBe(7);
    expect(w.total(1_000 + MINUTE)).toBe(0);
  });

  it('slides: old entries leave one by one, there is no reset on a clock boundary', () => {
    const w = new SlidingWindow(MINUTE);
    w.add(0, 1);
    w.add(30_000, 2);
    w.add(59_000, 4);
    expect(w.total(59_999)).toBe(7);
    expect(w.total(60_000)).toBe(6);
    expect(w.total(90_000)).toBe(4);
    expect(w.total(119_000)).toBe(0);
  });

  it('is empty at first', () => {
    expect(new SlidingWindow(MINUTE).total(123)).toBe(0);
  });

  describe('correct (an estimate replaced by the actual amount)', () => {
    it('moves the total by the difference while the entry is in the window', () => {
      const w = new SlidingWindow(MINUTE);
      const estimate = w.add(0, 1_000);
      w.add(10, 50);
      w.correct(estimate, 300, 20_000);
      expect(w.total(20_000)).toBe(350);
      w.correct(estimate, 1_200, 20_000); // more than estimated also counts
      expect(w.total(20_000)).toBe(1_250);
      expect(w.total(MINUTE)).toBe(50); // and it leaves with its corrected amount
    });

    it('leaves the total alone when the entry has already left the window', () => {
      const w = new SlidingWindow(MINUTE);
      const old = w.add(0, 1_000);
      w.add(MINUTE - 1, 5);
      w.correct(old, 10, MINUTE);
      expect(w.total(MINUTE)).toBe(5);
      w.correct(old, 99, MINUTE + 10);
      expect(w.total(MINUTE + 10)).toBe(5);
    });

    it('at the exact window edge the entry is already out', () => {
      const w = new SlidingWindow(MINUTE);
      const entry = w.add(0, 100);
      w.correct(entry, 40, MINUTE);
      expect(w.total(MINUTE)).toBe(0);
      expect(w.total(MINUTE + 1)).toBe(0);
    });
  });

  describe('remove', () => {
    it('takes an entry out of the total', () => {
      const w = new SlidingWindow(MINUTE);
      w.add(0, 3);
      const refused = w.add(5, 4);
      w.remove(refused, 10);
      expect(w.total(10)).toBe(3);
    });

    it('is harmless twice and after the entry expired', () => {
      const w = new SlidingWindow(MINUTE);
      const a = w.add(0, 3);
      w.add(1, 2);
      w.remove(a, 2);
      w.remove(a, 3);
      expect(w.total(3)).toBe(2);
      const b = w.add(10, 8);
      expect(w.total(MINUTE + 10)).toBe(0);
      w.remove(b, MINUTE + 10);
      expect(w.total(MINUTE + 10)).toBe(0);
      w.add(MINUTE + 10, 1);
      expect(w.total(MINUTE + 10)).toBe(1);
    });
  });

  describe('waitFor', () => {
    it('is 0 when the amount fits', () => {
      const w = new SlidingWindow(MINUTE);
      w.add(0, 5);
      expect(w.waitFor(5, 10, 1)).toBe(0);
    });

    it('is the time until enough of the oldest entries have left', () => {
      const w = new SlidingWindow(MINUTE);
      w.add(0, 4);
      w.add(10_000, 4);
      w.add(20_000, 2);
      // 10 used of 10: one more needs the first entry gone, at 60 000.
      expect(w.waitFor(1, 10, 30_000)).toBe(30_000);
      // 5 more needs 5 freed: the first two entries, the second leaves at 70 000.
      expect(w.waitFor(5, 10, 30_000)).toBe(40_000);
    });

    it('is at least 1 ms, and the whole window for an amount larger than the limit', () => {
      const w = new SlidingWindow(MINUTE);
      w.add(0, 10);
      expect(w.waitFor(1, 10, MINUTE - 1)).toBe(1);
      expect(w.waitFor(11, 10, 5)).toBe(MINUTE);
    });

    it('agrees with total: after waiting, the amount fits', () => {
      const w = new SlidingWindow(MINUTE);
      for (let t = 0; t < 50_000; t += 5_000) w.add(t, 3);
      const now = 52_000;
      const wait = w.waitFor(7, 20, now);
      expect(wait).toBe(33_000); // six entries of 3 must leave; the sixth was added at 25 000
      // The clock only moves forwards: a millisecond early it does not fit yet, then it does.
      expect(w.total(now + wait - 1) + 7).toBeGreaterThan(20);
      expect(w.total(now + wait) + 7).toBeLessThanOrEqual(20);
    });
  });

  it('keeps an exact total over many entries (compaction does not lose any)', () => {
    const w = new SlidingWindow(1_000);
    for (let t = 0; t < 10_000; t++) w.add(t, 1);
    expect(w.total(9_999)).toBe(1_000);
    expect(w.total(10_500)).toBe(499);
  });
});

describe('KeyRateLimiter', () => {
  describe('rpm', () => {
    it('admits up to rpm calls in a minute and refuses the next with a retry-after', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: 3, tpm: null };
      admitted(limiter.admit('k', limits, 10, 0));
      admitted(limiter.admit('k', limits, 10, 1_000));
      admitted(limiter.admit('k', limits, 10, 2_000));
      const refusal = refused(limiter.admit('k', limits, 10, 2_500));
      expect(refusal.limit).toBe('rpm');
      // The first call leaves the window at 60 000.
      expect(refusal.retryAfterMs).toBe(57_500);
      expect(refusal.headers['retry-after']).toBe('58');
      expect(refusal.headers['x-ratelimit-remaining-requests']).toBe('0');
      expect(refusal.headers['x-ratelimit-limit-requests']).toBe('3');
    });

    it('admits again exactly when the oldest call leaves the window', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: 1, tpm: null };
      admitted(limiter.admit('k', limits, 1, 0));
      refused(limiter.admit('k', limits, 1, MINUTE - 1));
      admitted(limiter.admit('k', limits, 1, MINUTE));
    });

    it('refusals do not count against the key', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: 1, tpm: null };
      admitted(limiter.admit('k', limits, 1, 0));
      for (let t = 1; t < 50; t++) refused(limiter.admit('k', limits, 1, t));
      admitted(limiter.admit('k', limits, 1, MINUTE));
    });

    it('keeps keys apart', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: 1, tpm: null };
      admitted(limiter.admit('a', limits, 1, 0));
      admitted(limiter.admit('b', limits, 1, 0));
      refused(limiter.admit('a', limits, 1, 1));
    });
  });

  describe('tpm', () => {
    it('refuses a call whose estimate would pass the limit, with the time until it fits', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: null, tpm: 1_000 };
      admitted(limiter.admit('k', limits, 600, 0));
      admitted(limiter.admit('k', limits, 300, 10_000));
      const refusal = refused(limiter.admit('k', limits, 200, 20_000));
      expect(refusal.limit).toBe('tpm');
      // 900 + 200 is 100 over: the 600 of t=0 must leave, at 60 000.
      expect(refusal.retryAfterMs).toBe(40_000);
      expect(refusal.headers['retry-after']).toBe('40');
      expect(refusal.headers['x-ratelimit-remaining-tokens']).toBe('100');
      // A smaller call still fits.
      admitted(limiter.admit('k', limits, 100, 20_000));
    });

    it('lets a single call larger than the whole budget through on an empty window', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: null, tpm: 1_000 };
      admitted(limiter.admit('k', limits, 5_000, 0));
      refused(limiter.admit('k', limits, 1, 1));
    });

    it('counts the actual usage after settle, not the estimate', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: null, tpm: 1_000 };
      const first = admitted(limiter.admit('k', limits, 900, 0));
      refused(limiter.admit('k', limits, 200, 1_000));
      limiter.settle(first.admission, 100, 2_000);
      admitted(limiter.admit('k', limits, 800, 3_000));
    });
  });

  it('checks rpm before tpm', () => {
    const limiter = new KeyRateLimiter();
    const limits = { rpm: 1, tpm: 100 };
    admitted(limiter.admit('k', limits, 100, 0));
    expect(refused(limiter.admit('k', limits, 100, 1)).limit).toBe('rpm');
  });

  it('treats null and 0 as unlimited and sends no headers for them', () => {
    const limiter = new KeyRateLimiter();
    for (const limits of [
      { rpm: null, tpm: null },
      { rpm: 0, tpm: 0 },
    ]) {
      for (let i = 0; i < 1_000; i++) {
        const result = admitted(limiter.admit(`k-${String(limits.rpm)}`, limits, 1_000_000, i));
        expect(result.headers).toEqual({});
      }
    }
  });

  describe('headers', () => {
    it('states the limits, what remains after this call and when the window has room again', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: 2, tpm: 1_000 };
      const first = admitted(limiter.admit('k', limits, 400, 0));
      expect(first.headers).toEqual({
        'x-ratelimit-limit-requests': '2',
        'x-ratelimit-remaining-requests': '1',
        'x-ratelimit-reset-requests': '0s',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '600',
        'x-ratelimit-reset-tokens': '0s',
      });
      const second = admitted(limiter.admit('k', limits, 500, 15_000));
      expect(second.headers['x-ratelimit-remaining-requests']).toBe('0');
      expect(second.headers['x-ratelimit-remaining-tokens']).toBe('100');
      // No room for another request until the first leaves at 60 000: 45 s from now.
      expect(second.headers['x-ratelimit-reset-requests']).toBe('45s');
      expect(second.headers['x-ratelimit-reset-tokens']).toBe('45s');
    });

    it('never reports a negative remainder', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: null, tpm: 100 };
      const big = admitted(limiter.admit('k', limits, 500, 0));
      expect(big.headers['x-ratelimit-remaining-tokens']).toBe('0');
    });
  });

  describe('cancel (a call the gateway itself refused after admitting it)', () => {
    it('gives back the request and its tokens', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: 1, tpm: 100 };
      const first = admitted(limiter.admit('k', limits, 100, 0));
      refused(limiter.admit('k', limits, 1, 1));
      limiter.cancel(first.admission, 2);
      const again = admitted(limiter.admit('k', limits, 100, 3));
      expect(again.headers['x-ratelimit-remaining-requests']).toBe('0');
      expect(again.headers['x-ratelimit-remaining-tokens']).toBe('0');
    });

    it('does not take anything back from other calls, even after the window moved on', () => {
      const limiter = new KeyRateLimiter();
      const limits = { rpm: 2, tpm: null };
      const old = admitted(limiter.admit('k', limits, 1, 0));
      admitted(limiter.admit('k', limits, 1, MINUTE + 1));
      limiter.cancel(old.admission, MINUTE + 2);
      admitted(limiter.admit('k', limits, 1, MINUTE + 3));
      refused(limiter.admit('k', limits, 1, MINUTE + 4));
    });
  });
});
