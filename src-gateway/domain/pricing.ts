/**
 * Money math for billing. All amounts are integer micro-USD. Token prices are kept as integer micro-USD per million
 * tokens (USD/MTok × 10^6), so a cost is Σ(tokens × price) / 10^6, rounded half up once, on the total.
 */

export interface ModelPrice {
  inputPerMtokMicros: number | null;
  cachedInputPerMtokMicros: number | null;
  cacheWritePerMtokMicros: number | null;
  outputPerMtokMicros: number | null;
  perImageMicros: number | null;
  perSecondMicros: number | null;
  per1kCharsMicros: number | null;
}

/** Normalised token usage. `cachedTokens` and `cacheWriteTokens` are part of `promptTokens`; reasoning is part of completion. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  cacheWriteTokens: number;
}

export const EMPTY_USAGE: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, cacheWriteTokens: 0 };

const MILLION = 1_000_000n;

/** Rounds a non-negative rational `numerator / 10^6` half up to an integer. */
function roundHalfUpPerMillion(numerator: bigint): number {
  if (numerator < 0n) throw new RangeError('cost numerator must not be negative');
  return Number((numerator + MILLION / 2n) / MILLION);
}

function rate(value: number | null | undefined, fallback: number | null | undefined): bigint {
  return BigInt(value ?? fallback ?? 0);
}

/** Cost of a token-billed call in micro-USD. Cached and cache-write tokens fall back to the input rate when unpriced. */
export function tokenCostMicros(usage: TokenUsage, price: ModelPrice): number {
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const cacheWrite = Math.min(usage.cacheWriteTokens, usage.promptTokens - cached);
  const uncached = usage.promptTokens - cached - cacheWrite;
  const numerator =
    BigInt(uncached) * rate(price.inputPerMtokMicros, 0) +
    BigInt(cached) * rate(price.cachedInputPerMtokMicros, price.inputPerMtokMicros) +
    BigInt(cacheWrite) * rate(price.cacheWritePerMtokMicros, price.inputPerMtokMicros) +
    BigInt(usage.completionTokens) * rate(price.outputPerMtokMicros, 0);
  return roundHalfUpPerMillion(numerator);
}

/**
 * The hold for a token-billed call: its maximum cost, i.e. the prompt estimate at the full input rate plus every
 * output token it may produce. Rounded up so the hold never falls short of the cost of the same usage.
 */
export function tokenHoldMicros(promptTokensEstimate: number, maxOutputTokens: number, price: ModelPrice): number {
  const numerator =
    BigInt(Math.max(0, Math.ceil(promptTokensEstimate))) * rate(price.inputPerMtokMicros, 0) +
    BigInt(Math.max(0, Math.ceil(maxOutputTokens))) * rate(price.outputPerMtokMicros, 0);
  return Number((numerator + MILLION - 1n) / MILLION);
}

/** Converts a decimal USD amount given as text or number ("0.15") to integer micro-USD, exactly for ≤ 6 decimals. */
export function usdToMicros(usd: string | number): number {
  const text = typeof usd === 'number' ? usd.toFixed(9) : usd.trim();
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new RangeError(`not a USD amount: ${String(usd)}`);
  const [, sign, whole, frac = ''] = match;
  const digits = (frac + '0000000').slice(0, 7);
  let micros = BigInt(whole!) * MILLION + BigInt(digits.slice(0, 6));
  if (Number(digits[6]) >= 5) micros += 1n;
  const value = Number(micros);
  if (!Number.isSafeInteger(value)) throw new RangeError('amount too large');
  return sign ? -value : value;
}

/** Formats micro-USD as a USD string with 6 decimals, e.g. 1500 → "0.001500". */
export function microsToUsd(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = BigInt(Math.abs(micros));
  return `${sign}${abs / MILLION}.${(abs % MILLION).toString().padStart(6, '0')}`;
}
