import { countTokens } from 'gpt-tokenizer';

/**
 * Local token counts, used for the hold estimate and for billing when an upstream reports no usage. Long texts are
 * bounded by length instead of tokenised, to keep the request path cheap; the bound over-estimates, which only makes
 * the hold safer.
 */

const TOKENIZE_LIMIT_CHARS = 24_000;
/** Per-message framing tokens (role, separators) as OpenAI counts them for chat models. */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_REPLY = 3;
/** A high-detail image tile budget for a large image: an upper bound for the hold. */
export const IMAGE_TOKENS_BOUND = 1105;

export function countTextTokens(text: string): number {
  if (text.length === 0) return 0;
  if (text.length > TOKENIZE_LIMIT_CHARS) return Math.ceil(text.length / 2.5);
  return countTokens(text);
}

interface ContentPart {
  type?: unknown;
  text?: unknown;
}

/** Token estimate of a chat prompt: messages (text and image parts), tool definitions. */
export function estimateChatPromptTokens(messages: readonly unknown[], tools?: unknown): number {
  let total = TOKENS_PER_REPLY;
  for (const message of messages) {
    if (!message || typeof message !== 'object') continue;
    const m = message as { content?: unknown; name?: unknown; tool_calls?: unknown };
    total += TOKENS_PER_MESSAGE;
    if (typeof m.name === 'string') total += countTextTokens(m.name);
    if (typeof m.content === 'string') total += countTextTokens(m.content);
    else if (Array.isArray(m.content)) {
      for (const part of m.content as ContentPart[]) {
        if (part && typeof part.text === 'string') total += countTextTokens(part.text);
        else if (part && (part.type === 'image_url' || part.type === 'input_image')) total += IMAGE_TOKENS_BOUND;
      }
    }
    if (m.tool_calls !== undefined) total += countTextTokens(JSON.stringify(m.tool_calls));
  }
  if (tools !== undefined && tools !== null) total += countTextTokens(JSON.stringify(tools));
  return total;
}
