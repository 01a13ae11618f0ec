/**
 * Money math for the non-chat endpoints (embeddings, rerank, images, speech, transcription). Like `pricing.ts`, every
 * amount is integer micro-USD and a cost is rounded half up once, on the total of its line items.
 *
 * All line items are brought to one integer numerator in units of 10^-6 micro-USD, so mixing per-token, per-image,
 * per-character, per-second and per-search prices never rounds twice:
 *   tokens × (micro-USD / MTok)                      → tokens × price
 *   images × (micro-USD / image)                     → images × price × 10^6
 *   characters × (micro-USD / 1k characters)         → characters × price × 10^3
 *   milliseconds × (micro-USD / second)              → milliseconds × price × 10^3
 *   searches × (micro-USD / 1k searches)             → searches × price × 10^3
 */
import type { ModelPrice } from './pricing.js';

/** What a media call consumed (or may consume, for a hold). Absent items count as 0. */
export interface MediaUsage {
  inputTokens?: number;
  outputTokens?: number;
  images?: number;
  characters?: number;
  /** Audio duration in whole milliseconds. */
  milliseconds?: number;
  searches?: number;
}

/** The catalog prices a media call may use (the chat prices plus per-search). */
export interface MediaPrice extends ModelPrice {
  per1kSearchesMicros: number | null;
}

const MILLION = 1_000_000n;
const THOUSAND = 1_000n;

function count(value: number | undefined): bigint {
  if (value === undefined) return 0n;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`usage must be a non-negative number, got ${value}`);
  return BigInt(Math.ceil(value));
}

const rate = (value: number | null): bigint => BigInt(value ?? 0);

function numerator(usage: MediaUsage, price: MediaPrice): bigint {
  return (
    count(usage.inputTokens) * rate(price.inputPerMtokMicros) +
    count(usage.outputTokens) * rate(price.outputPerMtokMicros) +
    count(usage.images) * rate(price.perImageMicros) * MILLION +
    count(usage.characters) * rate(price.per1kCharsMicros) * THOUSAND +
    count(usage.milliseconds) * rate(price.perSecondMicros) * THOUSAND +
    count(usage.searches) * rate(price.per1kSearchesMicros) * THOUSAND
  );
}

/** Cost of a media call in micro-USD, rounded half up once on the total. Unpriced items cost 0. */
export function mediaCostMicros(usage: MediaUsage, price: MediaPrice): number {
  return Number((numerator(usage, price) + MILLION / 2n) / MILLION);
}

/**
 * The hold for a media call: the cost of its upper-bound usage, rounded up, so it never falls short of the cost of
 * the same usage.
 */
export function mediaHoldMicros(bound: MediaUsage, price: MediaPrice): number {
  return Number((numerator(bound, price) + MILLION - 1n) / MILLION);
}

/** Speech is held by whole blocks of 1,000 characters (`per_1k_chars × ceil(chars / 1000)`). */
export function speechHoldCharacters(characters: number): number {
  return Math.ceil(characters / 1000) * 1000;
}

/** Seconds (possibly fractional, as upstreams report durations) → whole milliseconds, rounded up. */
export function secondsToMilliseconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`duration must be a non-negative number, got ${seconds}`);
  // Durations arrive as decimals like 2.35: round away float noise (2.35 * 1000 = 2350.0000000000005) before ceil.
  return Math.ceil(Math.round(seconds * 1_000_000) / 1000);
}
