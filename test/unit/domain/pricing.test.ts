import { describe, expect, it } from 'vitest';
import { EMPTY_USAGE, microsToUsd, tokenCostMicros, tokenHoldMicros, usdToMicros, type ModelPrice, type TokenUsage } from '../../../src-gateway/domain/pricing.js';

const price = (p: Partial<ModelPrice>): ModelPrice => ({
  inputPerMtokMicros: null,
  cachedInputPerMtokMicros: null,
  cacheWritePerMtokMicros: null,
  outputPerMtokMicros: null,
  perImageMicros: null,
  perSecondMicros: null,
  per1kCharsMicros: null,
  ...p,
});
const usage = (u: Partial<TokenUsage>): TokenUsage => ({ ...EMPTY_USAGE, ...u });

// Catalog list prices in micro-USD per MTok.
const GPT_4O_MINI = price({ inputPerMtokMicros: 150_000, cachedInputPerMtokMicros: 75_000, outputPerMtokMicros: 600_000 });
const CLAUDE_SONNET = price({ inputPerMtokMicros: 3_000_000, cachedInputPerMtokMicros: 300_000, cacheWritePerMtokMicros: 3_750_000, outputPerMtokMicros: 15_000_000 });

describe('tokenCostMicros', () => {
  it('bills prompt, cached and completion tokens at their rates', () => {
    // 800 × 0.15 + 200 × 0.075 + 500 × 0.60 = 120 + 15 + 300 micro-USD
    expect(tokenCostMicros(usage({ promptTokens: 1_000, cachedTokens: 200, completionTokens: 500 }), GPT_4O_MINI)).toBe(435);
  });

  it('rounds half up at exactly .5 micro-USD', () => {
    const half = price({ inputPerMtokMicros: 500_000 }); // 0.5 micro per token
    expect(tokenCostMicros(usage({ promptTokens: 1 }), half)).toBe(1); // 0.5 → 1
    expect(tokenCostMicros(usage({ promptTokens: 3 }), half)).toBe(2); // 1.5 → 2
    expect(tokenCostMicros(usage({ promptTokens: 5 }), half)).toBe(3); // 2.5 → 3 (not banker's 2)
    expect(tokenCostMicros(usage({ promptTokens: 1 }), price({ inputPerMtokMicros: 499_999 }))).toBe(0); // 0.499999 → 0
    expect(tokenCostMicros(usage({ promptTokens: 1 }), price({ inputPerMtokMicros: 1_499_999 }))).toBe(1);
    expect(tokenCostMicros(usage({ promptTokens: 1 }), price({ inputPerMtokMicros: 1_500_000 }))).toBe(2);
  });

  it('rounds once on the total, not per line item', () => {
    const quarter = price({ inputPerMtokMicros: 250_000, outputPerMtokMicros: 250_000 });
    // 0.25 + 0.25 = 0.5 → 1 (per-line rounding would give 0 + 0)
    expect(tokenCostMicros(usage({ promptTokens: 1, completionTokens: 1 }), quarter)).toBe(1);
    // 0.4 + 0.4 + 0.4 = 1.2 → 1 (per-line rounding would give 0; per-line ceiling 3)
    const fortyPct = price({ inputPerMtokMicros: 400_000, cachedInputPerMtokMicros: 400_000, outputPerMtokMicros: 400_000 });
    expect(tokenCostMicros(usage({ promptTokens: 2, cachedTokens: 1, completionTokens: 1 }), fortyPct)).toBe(1);
    // 3 lines at .3 each: 0.9 → 1; per-line half-up would give 0.
    const gpt = price({ inputPerMtokMicros: 300_000, cachedInputPerMtokMicros: 300_000, outputPerMtokMicros: 300_000 });
    expect(tokenCostMicros(usage({ promptTokens: 2, cachedTokens: 1, completionTokens: 1 }), gpt)).toBe(1);
  });

  it('is exact at large volumes (integer arithmetic, no float drift)', () => {
    // 123,456,789 tokens × 2.5 micro = 308,641,972.5 → 308,641,973
    expect(tokenCostMicros(usage({ promptTokens: 123_456_789 }), price({ inputPerMtokMicros: 2_500_000 }))).toBe(308_641_973);
    // 10^9 output tokens at 120 USD/MTok = 120,000 USD
    expect(tokenCostMicros(usage({ completionTokens: 1_000_000_000 }), price({ outputPerMtokMicros: 120_000_000 }))).toBe(120_000_000_000);
    // 1 token × 0.1 USD/MTok, ten million times over: 1,000,000 × 0.1 micro summed exactly
    expect(tokenCostMicros(usage({ promptTokens: 10_000_000 }), price({ inputPerMtokMicros: 100_000 }))).toBe(1_000_000);
  });

  it('bills cached tokens at the cached rate and the rest of the prompt at the input rate', () => {
    const all = tokenCostMicros(usage({ promptTokens: 10_000, cachedTokens: 10_000 }), GPT_4O_MINI);
    expect(all).toBe(750); // 10,000 × 0.075
    const none = tokenCostMicros(usage({ promptTokens: 10_000 }), GPT_4O_MINI);
    expect(none).toBe(1_500);
    expect(tokenCostMicros(usage({ promptTokens: 10_000, cachedTokens: 4_000 }), GPT_4O_MINI)).toBe(900 + 300); // 6,000 × 0.15 + 4,000 × 0.075
  });

  it('falls back to the input rate for cached tokens when the model has no cached price', () => {
    const noCached = price({ inputPerMtokMicros: 150_000, outputPerMtokMicros: 600_000 });
    expect(tokenCostMicros(usage({ promptTokens: 1_000, cachedTokens: 200, completionTokens: 500 }), noCached)).toBe(150 + 300);
  });

  it('bills a cached price of 0 as free, not as unpriced', () => {
    const freeCache = price({ inputPerMtokMicros: 150_000, cachedInputPerMtokMicros: 0 });
    expect(tokenCostMicros(usage({ promptTokens: 1_000, cachedTokens: 1_000 }), freeCache)).toBe(0);
  });

  it('never bills more cached tokens than prompt tokens', () => {
    expect(tokenCostMicros(usage({ promptTokens: 1_000, cachedTokens: 5_000 }), GPT_4O_MINI)).toBe(75);
  });

  it('bills cache-write tokens at their own rate, falling back to the input rate', () => {
    // 4,000 uncached × 3 + 4,000 cached × 0.3 + 2,000 written × 3.75 + 1,000 out × 15 micro
    const u = usage({ promptTokens: 10_000, cachedTokens: 4_000, cacheWriteTokens: 2_000, completionTokens: 1_000 });
    expect(tokenCostMicros(u, CLAUDE_SONNET)).toBe(12_000 + 1_200 + 7_500 + 15_000);
    const noWriteRate = { ...CLAUDE_SONNET, cacheWritePerMtokMicros: null };
    expect(tokenCostMicros(u, noWriteRate)).toBe(12_000 + 1_200 + 6_000 + 15_000);
    // cache-write tokens are capped at the part of the prompt that is not cached
    expect(tokenCostMicros(usage({ promptTokens: 1_000, cachedTokens: 600, cacheWriteTokens: 900 }), CLAUDE_SONNET)).toBe(180 + 1_500);
  });

  it('does not bill reasoning tokens on top of completion tokens', () => {
    const plain = tokenCostMicros(usage({ promptTokens: 100, completionTokens: 1_000 }), GPT_4O_MINI);
    expect(tokenCostMicros(usage({ promptTokens: 100, completionTokens: 1_000, reasoningTokens: 800 }), GPT_4O_MINI)).toBe(plain);
  });

  it('bills nothing for an unpriced model and nothing for unpriced output', () => {
    expect(tokenCostMicros(usage({ promptTokens: 1_000_000, cachedTokens: 10, cacheWriteTokens: 10, completionTokens: 1_000_000 }), price({}))).toBe(0);
    expect(tokenCostMicros(usage({ promptTokens: 1_000, completionTokens: 1_000_000 }), price({ inputPerMtokMicros: 1_000_000 }))).toBe(1_000);
    expect(tokenCostMicros(EMPTY_USAGE, GPT_4O_MINI)).toBe(0);
  });
});

describe('tokenHoldMicros', () => {
  it('holds the prompt at the full input rate plus every possible output token', () => {
    // 100 × 0.15 + 1,000 × 0.60 = 615
    expect(tokenHoldMicros(100, 1_000, GPT_4O_MINI)).toBe(615);
  });

  it('rounds up any fraction of a micro-USD, and adds nothing to an exact total', () => {
    expect(tokenHoldMicros(1, 0, GPT_4O_MINI)).toBe(1); // 0.15 → 1
    expect(tokenHoldMicros(20, 0, GPT_4O_MINI)).toBe(3); // exactly 3
    expect(tokenHoldMicros(21, 0, GPT_4O_MINI)).toBe(4); // 3.15 → 4
    expect(tokenHoldMicros(1, 0, price({ inputPerMtokMicros: 1 }))).toBe(1); // 0.000001 → 1
    expect(tokenHoldMicros(0, 0, GPT_4O_MINI)).toBe(0);
  });

  it('rounds fractional token estimates up and treats negative ones as zero', () => {
    expect(tokenHoldMicros(19.1, 0, GPT_4O_MINI)).toBe(3); // 20 tokens
    expect(tokenHoldMicros(-5, 10, GPT_4O_MINI)).toBe(6); // 0 + 10 × 0.6
  });

  it('ignores the cached rate (the hold is the maximum) and holds no output when output is unpriced', () => {
    expect(tokenHoldMicros(10_000, 0, GPT_4O_MINI)).toBe(1_500);
    expect(tokenHoldMicros(10_000, 50_000, price({ inputPerMtokMicros: 150_000 }))).toBe(1_500);
    expect(tokenHoldMicros(10_000, 50_000, price({}))).toBe(0);
  });

  it('is never below the cost of the same usage (no cache writes)', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    for (let i = 0; i < 2_000; i++) {
      const prompt = Math.floor(random() * 50_000);
      const completion = Math.floor(random() * 20_000);
      const p = price({
        inputPerMtokMicros: Math.floor(random() * 5_000_000),
        cachedInputPerMtokMicros: random() < 0.3 ? null : Math.floor(random() * 1_000_000),
        outputPerMtokMicros: Math.floor(random() * 20_000_000),
      });
      // the cached rate never exceeds the input rate in the catalog
      if (p.cachedInputPerMtokMicros !== null && p.cachedInputPerMtokMicros > p.inputPerMtokMicros!) p.cachedInputPerMtokMicros = p.inputPerMtokMicros;
      const cached = Math.floor(random() * prompt);
      const held = tokenHoldMicros(prompt, completion, p);
      const plain = tokenCostMicros(usage({ promptTokens: prompt, completionTokens: completion }), p);
      const withCache = tokenCostMicros(usage({ promptTokens: prompt, cachedTokens: cached, completionTokens: completion }), p);
      if (held < plain || held < withCache) throw new Error(`hold ${held} < cost ${plain}/${withCache} for ${JSON.stringify({ prompt, cached, completion, p })}`);
      // ceiling vs half-up of the same total: at most one micro apart
      if (held - plain > 1) throw new Error(`hold ${held} more than 1 above cost ${plain} for ${JSON.stringify({ prompt, completion, p })}`);
    }
  });
});

describe('usdToMicros', () => {
  it('converts decimal strings exactly', () => {
    expect(usdToMicros('0.15')).toBe(150_000);
    expect(usdToMicros('0.075')).toBe(75_000);
    expect(usdToMicros('0.60')).toBe(600_000);
    expect(usdToMicros('10')).toBe(10_000_000);
    expect(usdToMicros('0.000001')).toBe(1);
    expect(usdToMicros('123456.789012')).toBe(123_456_789_012);
    expect(usdToMicros('  2.5 ')).toBe(2_500_000);
    expect(usdToMicros('-1.5')).toBe(-1_500_000);
    expect(usdToMicros('0')).toBe(0);
  });

  it('converts numbers exactly where floats are not', () => {
    expect(usdToMicros(0.075)).toBe(75_000);
    expect(usdToMicros(0.1 + 0.2)).toBe(300_000); // 0.30000000000000004
    expect(usdToMicros(1.005)).toBe(1_005_000); // 1.00499999999999989...
    expect(usdToMicros(0.29)).toBe(290_000); // 0.29 × 1e6 = 290000.00000000006 as a float
    expect(usdToMicros(4.35)).toBe(4_350_000); // 4.35 × 1e6 = 4349999.999999999 as a float
    expect(usdToMicros(15)).toBe(15_000_000);
    expect(usdToMicros(-2.5)).toBe(-2_500_000);
  });

  it('rounds half up at the seventh decimal', () => {
    expect(usdToMicros('0.0000005')).toBe(1);
    expect(usdToMicros(0.0000005)).toBe(1);
    expect(usdToMicros('0.0000004')).toBe(0);
    expect(usdToMicros('0.00000049999999')).toBe(0);
    expect(usdToMicros('0.0000001')).toBe(0);
    expect(usdToMicros(1e-7)).toBe(0);
    expect(usdToMicros(5e-7)).toBe(1);
    expect(usdToMicros('1.9999995')).toBe(2_000_000);
    expect(usdToMicros('1.9999994999')).toBe(1_999_999);
    expect(usdToMicros('0.1234565')).toBe(123_457);
    expect(usdToMicros('-0.0000015')).toBe(-2); // half away from zero for negatives
  });

  it('rejects text that is not a plain decimal USD amount', () => {
    for (const bad of ['', ' ', 'abc', '1.2.3', '1e-7', '$1', '1,5', '.5', '1.', '+1', '0x10', '1 000', 'NaN', 'Infinity', '--1']) {
      expect(() => usdToMicros(bad), JSON.stringify(bad)).toThrow(RangeError);
    }
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21]) {
      expect(() => usdToMicros(bad), String(bad)).toThrow(RangeError);
    }
  });

  it('rejects amounts beyond the safe-integer range of micro-USD', () => {
    expect(usdToMicros('9007199254.740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => usdToMicros('9007199254.740992')).toThrow(/too large/);
    expect(() => usdToMicros('100000000000000')).toThrow(RangeError);
  });
});

describe('microsToUsd', () => {
  it('formats with six decimals', () => {
    expect(microsToUsd(1_500)).toBe('0.001500');
    expect(microsToUsd(0)).toBe('0.000000');
    expect(microsToUsd(1)).toBe('0.000001');
    expect(microsToUsd(150_000)).toBe('0.150000');
    expect(microsToUsd(10_000_000)).toBe('10.000000');
    expect(microsToUsd(12_345_678_901)).toBe('12345.678901');
    expect(microsToUsd(-1)).toBe('-0.000001');
    expect(microsToUsd(-2_500_000)).toBe('-2.500000');
    expect(microsToUsd(Number.MAX_SAFE_INTEGER)).toBe('9007199254.740991');
  });

  it('refuses fractional micros instead of printing a wrong amount', () => {
    expect(() => microsToUsd(1.5)).toThrow(RangeError);
  });

  it('round-trips through usdToMicros', () => {
    let seed = 99;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    for (let i = 0; i < 2_000; i++) {
      const micros = Math.floor(random() * 10 ** Math.floor(random() * 16)) * (random() < 0.1 ? -1 : 1);
      const back = usdToMicros(microsToUsd(micros));
      if (back !== micros) throw new Error(`${micros} → ${microsToUsd(micros)} → ${back}`);
    }
  });
});
