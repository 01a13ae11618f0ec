/** A chat model's prices in micro-USD per million tokens. */
export interface TokenPrices {
  input: number;
  cached: number;
  output: number;
}

/**
 * The cost in micro-USD of a call with `prompt` input tokens (of which `cached` were read from the cache) and
 * `completion` output tokens, rounded half up once, as the gateway bills it.
 */
export const tokenCost =
  (price: TokenPrices) =>
  (prompt: number, cached: number, completion: number): number =>
    Math.floor(((prompt - cached) * price.input + cached * price.cached + completion * price.output + 500_000) / 1_000_000);
