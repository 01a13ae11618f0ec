import { describe, expect, it } from 'vitest';
import { mediaCostMicros, mediaHoldMicros, secondsToMilliseconds, speechHoldCharacters, type MediaPrice } from '../../../src-gateway/domain/media-pricing.js';
import { audioDurationBound, MAX_HELD_SECONDS, wavDurationSeconds } from '../../../src-gateway/domain/audio-duration.js';
import { makeWav } from '../../support/fakes/media-bytes.js';

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

describe('mediaCostMicros', () => {
  it('bills each modality at its catalog unit', () => {
    expect(mediaCostMicros({ inputTokens: 123_456 }, price({ inputPerMtokMicros: 20_000 }))).toBe(2469); // 2,469.12
    expect(mediaCostMicros({ images: 3 }, price({ perImageMicros: 42_000 }))).toBe(126_000);
    expect(mediaCostMicros({ characters: 1260 }, price({ per1kCharsMicros: 15_000 }))).toBe(18_900);
    expect(mediaCostMicros({ milliseconds: 2500 }, price({ perSecondMicros: 100 }))).toBe(250);
    expect(mediaCostMicros({ searches: 1 }, price({ per1kSearchesMicros: 2_000_000 }))).toBe(2000);
  });

  it('rounds half up once, on the total of all line items', () => {
    // 0.5 + 0.5 micro-USD: rounding each item would give 2, rounding the total gives 1.
    const p = price({ inputPerMtokMicros: 500_000, per1kCharsMicros: 500 });
    expect(mediaCostMicros({ inputTokens: 1, characters: 1 }, p)).toBe(1);
    expect(mediaCostMicros({ milliseconds: 12_345 }, price({ perSecondMicros: 100 }))).toBe(1235); // 1,234.5 → 1,235
    expect(mediaCostMicros({ inputTokens: 1 }, price({ inputPerMtokMicros: 499_999 }))).toBe(0);
  });

  it('costs nothing for unpriced items and refuses negative usage', () => {
    expect(mediaCostMicros({ images: 4, characters: 10 }, price({}))).toBe(0);
    expect(() => mediaCostMicros({ images: -1 }, price({ perImageMicros: 1 }))).toThrow(RangeError);
  });
});

describe('mediaHoldMicros', () => {
  it('rounds up, so the hold covers the cost of the same usage', () => {
    const p = price({ inputPerMtokMicros: 20_000 });
    expect(mediaHoldMicros({ inputTokens: 1 }, p)).toBe(1);
    for (const tokens of [1, 49, 50, 123_456, 9_999_999]) {
      expect(mediaHoldMicros({ inputTokens: tokens }, p)).toBeGreaterThanOrEqual(mediaCostMicros({ inputTokens: tokens }, p));
    }
  });

  it('holds speech by whole blocks of 1,000 characters', () => {
    expect(speechHoldCharacters(1)).toBe(1000);
    expect(speechHoldCharacters(1000)).toBe(1000);
    expect(speechHoldCharacters(1260)).toBe(2000);
    expect(mediaHoldMicros({ characters: speechHoldCharacters(1260) }, price({ per1kCharsMicros: 15_000 }))).toBe(30_000);
  });
});

describe('secondsToMilliseconds', () => {
  it('is exact for decimal durations despite binary floats', () => {
    expect(secondsToMilliseconds(2.35)).toBe(2350);
    expect(secondsToMilliseconds(12.345)).toBe(12_345);
    expect(secondsToMilliseconds(0.0001)).toBe(1); // rounded up: never bill less than was used
  });
});

describe('audioDurationBound', () => {
  it('reads the duration of a PCM WAV from its header', () => {
    expect(wavDurationSeconds(makeWav(2.5))).toBe(2.5);
    expect(audioDurationBound(makeWav(2.5))).toEqual({ seconds: 3, source: 'wav-header' });
    expect(audioDurationBound(makeWav(1, 16_000))).toEqual({ seconds: 1, source: 'wav-header' });
  });

  it('handles streamed WAVs whose data size is unknown', () => {
    const wav = makeWav(2);
    wav.writeUInt32LE(0xffffffff, 40);
    expect(wavDurationSeconds(wav)).toBe(2);
  });

  it('bounds other formats by size at 8 kbit/s, capped', () => {
    expect(audioDurationBound(Buffer.alloc(16_001))).toEqual({ seconds: 17, source: 'bitrate' });
    expect(audioDurationBound(Buffer.alloc(0))).toEqual({ seconds: 1, source: 'bitrate' });
    expect(audioDurationBound(Buffer.alloc(25 * 1024 * 1024)).seconds).toBe(MAX_HELD_SECONDS);
    const notWave = Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBP'), Buffer.alloc(100)]);
    expect(wavDurationSeconds(notWave)).toBeUndefined();
  });
});
