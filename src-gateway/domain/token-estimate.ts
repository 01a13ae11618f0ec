import { countTokens } from 'gpt-tokenizer';

/**
 * Local token counts, used for the hold estimate and for billing when an upstream reports no usage. Long texts are
 * bounded by length instead of tokenised, to keep the request path cheap; the bound over-estimates, which only makes
 * the hold safer.
 */

const TOKENIZE_LIMIT_CHARS = 24_000;
/**
 * BPE time grows with the square of a run the pre-tokenizer cannot split: 24,000 spaces, repeated letters or emoji take
 * 2-5 s in one piece, blocking every other request. Slices keep it linear; they are cut after a space where there is one,
 * so ordinary text counts exactly, and a cut inside a run costs at most a token.
 */
const TOKENIZE_SLICE_CHARS = 512;
/** Per-message framing tokens (role, separators) as OpenAI counts them for chat models. */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_REPLY = 3;
/** A high-detail image tile budget for a large image: an upper bound for the hold. */
export const IMAGE_TOKENS_BOUND = 1105;

/**
 * Counts of recently seen texts. Chat clients resend the whole conversation every turn, so nearly every message was
 * counted on the previous call; tokenising them again cost ~2-3 ms of event-loop time per 16 KB request.
 */
let recentCounts = new Map<string, number>();
let olderCounts = new Map<string, number>();
let recentCountChars = 0;
/** Shorter texts are about as cheap to count as to look up. */
const REMEMBER_MIN_CHARS = 256;
/** Characters of text kept as keys across both generations (2-4 MB). */
const REMEMBER_MAX_CHARS = 2_000_000;

export function countTextTokens(text: string): number {
  return countWithMemo(text);
}

function countWithMemo(text: string): number {
  if (text.length < REMEMBER_MIN_CHARS || text.length > TOKENIZE_LIMIT_CHARS) return countUncached(text);
  let count = recentCounts.get(text);
  if (count !== undefined) return count;
  count = olderCounts.get(text) ?? countUncached(text);
  recentCounts.set(text, count);
  recentCountChars += text.length;
  if (recentCountChars > REMEMBER_MAX_CHARS / 2) {
    // Two generations instead of a per-entry LRU: texts not used since the last swap leave with the older map.
    olderCounts = recentCounts;
    recentCounts = new Map();
    recentCountChars = 0;
  }
  return count;
}

function countUncached(text: string): number {
  if (text.length === 0) return 0;
  // Every token is at least one UTF-8 byte, so the byte length is a true bound; chars / 2.5 was not (CJK, emoji,
  // base64 and random text run at 0.7-2 tokens a character).
  if (text.length > TOKENIZE_LIMIT_CHARS) return utf8Length(text);
  let total = 0;
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + TOKENIZE_SLICE_CHARS);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end - 1);
      if (space > start + TOKENIZE_SLICE_CHARS / 2) end = space;
      else if (isHighSurrogate(text.charCodeAt(end - 1))) end--; // never cut a character in two
    }
    total += countTokens(text.slice(start, end));
    start = end;
  }
  return total;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** UTF-8 length without a Buffer (this module stays free of node imports); a lone surrogate counts as U+FFFD. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (isHighSurrogate(code) && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

interface ContentPart {
  type?: unknown;
  text?: unknown;
}

/**
 * Characters one request may have tokenised exactly; past it, texts are bounded by their UTF-8 length. Without a budget
 * a 10 MB body of many 24,000-character messages would hold the event loop for seconds.
 */
export const TOKENIZE_BUDGET_CHARS = 100_000;

/** Token estimate of a chat prompt: messages (text and image parts), tool definitions. */
export function estimateChatPromptTokens(messages: readonly unknown[], tools?: unknown): number {
  let budget = TOKENIZE_BUDGET_CHARS;
  const countTextTokens = (text: string): number => {
    if (text.length > budget) return utf8Length(text);
    budget -= text.length;
    return countWithMemo(text);
  };
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
