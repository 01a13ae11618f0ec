import { describe, expect, it } from 'vitest';
import { formatDuration, formatUsd, toDate, usdToMicros } from '../../../src-renderer/src/lib/format';

describe('formatUsd (integer micro-USD → text)', () => {
  it('keeps every significant micro and at least two decimals', () => {
    expect(formatUsd(435)).toBe('$0.000435');
    expect(formatUsd(5_000_000)).toBe('$5.00');
    expect(formatUsd(4_956_991)).toBe('$4.956991');
    expect(formatUsd(1_234_500_000)).toBe('$1,234.50');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-1_500)).toBe('-$0.0015');
  });

  it('shows a dash for missing values', () => {
    expect(formatUsd(null)).toBe('—');
    expect(formatUsd(undefined)).toBe('—');
  });
});

describe('usdToMicros (typed USD → integer micros, no floating point)', () => {
  it('parses plain amounts exactly', () => {
    expect(usdToMicros('25')).toBe(25_000_000);
    expect(usdToMicros('0.1')).toBe(100_000);
    expect(usdToMicros('0.000001')).toBe(1);
    expect(usdToMicros('$1,000.5')).toBe(1_000_500_000);
    expect(usdToMicros('.25')).toBe(250_000);
    // 0.1 + 0.2 style float drift must not leak in.
    expect(usdToMicros('4.35')).toBe(4_350_000);
  });

  it('refuses more than six decimals, junk and (unless allowed) negatives', () => {
    expect(usdToMicros('0.0000001')).toBeUndefined();
    expect(usdToMicros('abc')).toBeUndefined();
    expect(usdToMicros('')).toBeUndefined();
    expect(usdToMicros('-1')).toBeUndefined();
    expect(usdToMicros('-1.5', { allowNegative: true })).toBe(-1_500_000);
  });
});

describe('formatDuration', () => {
  it('uses ms below a second, then seconds, then minutes', () => {
    expect(formatDuration(679)).toBe('679 ms');
    expect(formatDuration(1234)).toBe('1.23 s');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(75_000)).toBe('1m 15s');
    expect(formatDuration(null)).toBe('—');
  });
});

describe('toDate', () => {
  it('accepts unix seconds and unix milliseconds', () => {
    expect(toDate(1_700_000_000).getTime()).toBe(1_700_000_000_000);
    expect(toDate(1_700_000_000_123).getTime()).toBe(1_700_000_000_123);
  });
});
