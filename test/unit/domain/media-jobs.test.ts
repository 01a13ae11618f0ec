import { describe, expect, it } from 'vitest';
import {
  aspectRatioOf,
  estimatedWait,
  jobCostMicros,
  jobHoldMicros,
  pollDelayMs,
  resolveVideoSize,
  retentionCutoff,
  retentionDays,
} from '../../../src-gateway/domain/media-jobs.js';
import type { MediaPrice } from '../../../src-gateway/domain/media-pricing.js';

const price = (p: Partial<MediaPrice>): MediaPrice => ({
  inputPerMtokMicros: null,
  cachedInputPerMtokMicros: null,
  cacheWritePerMtokMicros: null,
  outputPerMtokMicros: null,
  perImageMicros: null,
  perSecondMicros: null,
  per1kCharsMicros: null,
  per1kSearchesMicros: null,
  ...p,
});

const SORA = price({ perSecondMicros: 100_000 }); // 0.10 USD per second

describe('job holds and costs', () => {
  it('holds per second × requested duration × clips', () => {
    expect(jobHoldMicros({ durationSeconds: 4, n: 1 }, SORA)).toBe(400_000);
    expect(jobHoldMicros({ durationSeconds: 10, n: 2 }, SORA)).toBe(2_000_000);
    expect(jobHoldMicros({ durationSeconds: 30, n: 1 }, price({ perSecondMicros: 2_000 }))).toBe(60_000);
  });

  it('prices a model billed per clip (per_image) once per clip, on top of any per-second price', () => {
    expect(jobHoldMicros({ durationSeconds: 8, n: 3 }, price({ perImageMicros: 250_000 }))).toBe(750_000);
    expect(jobCostMicros([{ seconds: 8 }, { seconds: 8 }], 8, price({ perImageMicros: 250_000 }))).toBe(500_000);
    expect(jobCostMicros([{ seconds: 5 }], 5, price({ perImageMicros: 1_000, perSecondMicros: 10 }))).toBe(1_050);
  });

  it('captures the reported seconds of each clip, else the requested ones', () => {
    expect(jobCostMicros([{ seconds: 8 }, { seconds: 8 }], 10, SORA)).toBe(1_600_000);
    expect(jobCostMicros([{ seconds: null }], 8, price({ perSecondMicros: 400_000 }))).toBe(3_200_000);
    expect(jobCostMicros([{ seconds: 12 }, { seconds: null }], 20, price({ perSecondMicros: 2_000 }))).toBe(64_000);
    expect(jobCostMicros([], 10, SORA)).toBe(0);
    expect(jobCostMicros([{ seconds: 8 }], 8, price({}))).toBe(0); // unpriced model
  });

  it('bills fractional reported seconds by the millisecond (rounded up), the total rounded half up once', () => {
    // 4.0005 s is billed as 4.001 s: 400,100 µUSD at 0.10 USD/s.
    expect(jobCostMicros([{ seconds: 4.0005 }], 4, SORA)).toBe(400_100);
    expect(jobCostMicros([{ seconds: 2.35 }], 2, price({ perSecondMicros: 1 }))).toBe(2);
    expect(jobCostMicros([{ seconds: 2.5 }], 2, price({ perSecondMicros: 1 }))).toBe(3);
  });

  it('never holds less than the cost of the requested usage', () => {
    for (const perSecond of [1, 7, 333, 100_000]) {
      for (const seconds of [1, 3, 7, 60]) {
        const p = price({ perSecondMicros: perSecond, perImageMicros: 13 });
        expect(jobHoldMicros({ durationSeconds: seconds, n: 3 }, p)).toBeGreaterThanOrEqual(jobCostMicros([{ seconds }, { seconds }, { seconds }], seconds, p));
      }
    }
  });
});

describe('poll back-off', () => {
  it('doubles from the base delay and caps at the maximum: 1 s → 2 s → 4 s → 8 s → 15 s …', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((a) => pollDelayMs(a, 1_000, 15_000))).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000, 15_000]);
  });

  it('takes the shortened test settings the same way and survives absurd attempt counts', () => {
    expect([0, 1, 2, 3].map((a) => pollDelayMs(a, 30, 120))).toEqual([30, 60, 120, 120]);
    expect(pollDelayMs(10_000, 1_000, 15_000)).toBe(15_000);
    expect(pollDelayMs(-1, 1_000, 15_000)).toBe(1_000);
    expect(pollDelayMs(Number.NaN, 1_000, 15_000)).toBe(1_000);
  });
});

describe('video sizes', () => {
  it('maps resolution names to landscape frames, 720p by default', () => {
    expect(resolveVideoSize({})).toEqual({ width: 1280, height: 720, resolution: '720p' });
    expect(resolveVideoSize({ resolution: '480p' })).toEqual({ width: 854, height: 480, resolution: '480p' });
    expect(resolveVideoSize({ resolution: ' 1080P ' })).toEqual({ width: 1920, height: 1080, resolution: '1080p' });
  });

  it('reads WxH sizes in either orientation and names them by the short side', () => {
    expect(resolveVideoSize({ size: '720x1280' })).toEqual({ width: 720, height: 1280, resolution: '720p' });
    expect(resolveVideoSize({ size: '1920 X 1080' })).toEqual({ width: 1920, height: 1080, resolution: '1080p' });
    expect(resolveVideoSize({ size: '854*480', resolution: 'ignored when a size is given' })).toMatchObject({ resolution: '480p' });
  });

  it('refuses what is not a size, naming the field', () => {
    expect(() => resolveVideoSize({ resolution: '4k' })).toThrow('resolution');
    for (const size of ['big', '1280', '0x0', '12x12', '99999x720', '1280x720x3']) expect(() => resolveVideoSize({ size })).toThrow('size');
  });

  it('picks the Veo aspect ratio from the frame', () => {
    expect(aspectRatioOf({ width: 1280, height: 720 })).toBe('16:9');
    expect(aspectRatioOf({ width: 720, height: 1280 })).toBe('9:16');
    expect(aspectRatioOf({ width: 720, height: 720 })).toBe('16:9');
  });
});

describe('estimated wait and retention', () => {
  it('gives a low-high range in seconds that grows with the work asked for', () => {
    expect(estimatedWait('video', { durationSeconds: 4, n: 1 })).toMatch(/^\d+-\d+s$/);
    const short = Number(estimatedWait('video', { durationSeconds: 4, n: 1 }).split('-')[0]);
    const long = Number(estimatedWait('video', { durationSeconds: 20, n: 2 }).split('-')[0]);
    expect(long).toBeGreaterThan(short);
    expect(estimatedWait('music', { durationSeconds: 30, n: 1 })).toMatch(/^\d+-\d+s$/);
  });

  it('reads media_retention_days: default 30, fractions allowed, 0 keeps forever, junk falls back to the default', () => {
    expect(retentionDays(undefined)).toBe(30);
    expect(retentionDays('')).toBe(30);
    expect(retentionDays('7')).toBe(7);
    expect(retentionDays('0.5')).toBe(0.5);
    expect(retentionDays('0')).toBe(0);
    expect(retentionDays('-3')).toBe(0);
    expect(retentionDays('soon')).toBe(30);
    const now = Date.UTC(2026, 0, 31);
    expect(retentionCutoff(now, 30)).toBe(Date.UTC(2026, 0, 1));
    expect(retentionCutoff(now, 0.5)).toBe(now - 43_200_000);
    expect(retentionCutoff(now, 0)).toBeUndefined();
  });
});
