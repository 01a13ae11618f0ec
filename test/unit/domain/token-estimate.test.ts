import { countTokens } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import { IMAGE_TOKENS_BOUND, countTextTokens, estimateChatPromptTokens } from '../../../src-gateway/domain/token-estimate.js';

/** Texts longer than this are bounded rather than tokenised (the module's TOKENIZE_LIMIT_CHARS). */
const TOKENIZE_LIMIT = 24_000;
/** Chat framing: 3 tokens for the reply, 4 per message. */
const REPLY = 3;
const PER_MESSAGE = 4;

const utf8 = (text: string) => new TextEncoder().encode(text).length;

/** A pseudo-random but reproducible pick from `alphabet`. */
function pseudoRandomText(alphabet: string[], length: number, seed = 1): string {
  let state = seed;
  let out = '';
  while (out.length < length) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    out += alphabet[state % alphabet.length];
  }
  return out.slice(0, length);
}

const ENGLISH_WORDS = 'the gateway holds the maximum cost of a request before it calls the upstream and captures the actual cost afterwards'.split(' ');
const english = (length: number) => pseudoRandomText(ENGLISH_WORDS.map((w) => `${w} `), length);

/** Milliseconds `fn` takes. */
function timed(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

describe('countTextTokens', () => {
  it('counts nothing for an empty string', () => {
    expect(countTextTokens('')).toBe(0);
  });

  it('counts ordinary text as the tokenizer does', () => {
    for (const text of ['hello world', 'Hello, world!', 'The quick brown fox jumps over the lazy dog.', '你好，世界', 'naïve café — déjà vu']) {
      expect(countTextTokens(text), text).toBe(countTokens(text));
    }
    expect(countTextTokens('hello world')).toBe(2);
  });

  it('counts long ordinary text up to the limit exactly, slices or not', () => {
    for (const length of [511, 512, 513, 5_000, TOKENIZE_LIMIT]) {
      const text = english(length);
      expect(countTextTokens(text), `${length} chars`).toBe(countTokens(text));
    }
  });

  it('gives sane ratios: about 4 characters a token for English prose', () => {
    const text = english(10_000);
    const ratio = text.length / countTextTokens(text);
    expect(ratio).toBeGreaterThan(3);
    expect(ratio).toBeLessThan(7);
  });

  describe('long text is bounded', () => {
    // Texts whose exact count is quick to compute (short pre-tokens), in scripts that tokenise densely.
    const cases: Record<string, string> = {
      'English prose': english(30_000),
      'CJK words': pseudoRandomText(['你好 ', '世界，', '今天 ', '天气。', '很好 ', '我们 ', '公园，'], 30_000),
      'random printable ASCII': pseudoRandomText(Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).concat([' ']), 30_000),
      'base64 in 76-column lines': pseudoRandomText('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split(''), 30_000).replace(/(.{76})/g, '$1\n'),
      'emoji separated by spaces': pseudoRandomText(['😀 ', '🎉 ', '🚀 ', '🔥 ', '👩‍💻 '], 30_000),
      'control characters': '\u0001\u0002\u0003\u0004'.repeat(7_500),
    };

    for (const [name, text] of Object.entries(cases)) {
      it(`never under-counts ${name} (${text.length} chars)`, () => {
        expect(text.length).toBeGreaterThan(TOKENIZE_LIMIT);
        const estimate = countTextTokens(text);
        expect(estimate).toBeGreaterThanOrEqual(countTokens(text));
        // …and stays within its bound: one token per UTF-8 byte at most.
        expect(estimate).toBeLessThanOrEqual(utf8(text));
      });
    }

    it('grows linearly with the length and costs next to nothing for a 10 MB text', () => {
      const text = english(10_240).repeat(1_024); // 10 MiB
      let estimate = 0;
      expect(timed(() => (estimate = countTextTokens(text)))).toBeLessThan(1_000);
      expect(estimate).toBe(utf8(text));
      expect(countTextTokens(text + text)).toBe(2 * estimate);
    });

    it('counts 4-byte characters (surrogate pairs) and lone surrogates by their UTF-8 length', () => {
      expect(countTextTokens('😀'.repeat(TOKENIZE_LIMIT))).toBe(4 * TOKENIZE_LIMIT);
      expect(countTextTokens('\ud800'.repeat(TOKENIZE_LIMIT + 1))).toBe(3 * (TOKENIZE_LIMIT + 1));
    });
  });

  describe('stays cheap on runs the tokenizer cannot split', () => {
    // In one piece each of these takes the tokenizer seconds (its merge step is quadratic in a run's length).
    const runs: Record<string, string> = {
      spaces: ' '.repeat(TOKENIZE_LIMIT),
      'one letter': 'a'.repeat(TOKENIZE_LIMIT),
      emoji: '😀'.repeat(TOKENIZE_LIMIT / 2),
      dashes: '-'.repeat(TOKENIZE_LIMIT),
    };
    for (const [name, text] of Object.entries(runs)) {
      it(`${name}: ${text.length} chars, well under a second, with a plausible count`, () => {
        let estimate = 0;
        expect(timed(() => (estimate = countTextTokens(text)))).toBeLessThan(1_000);
        expect(estimate).toBeGreaterThan(0);
        expect(estimate).toBeLessThanOrEqual(utf8(text));
      });
    }

    it('does not cut a surrogate pair in two at a slice boundary', () => {
      const text = 'x' + '😀'.repeat(600); // odd offset: a 512-unit slice would end between the halves of an emoji
      const exact = countTokens(text);
      const estimate = countTextTokens(text);
      expect(estimate).toBeGreaterThanOrEqual(exact);
      expect(estimate).toBeLessThanOrEqual(exact + 3);
    });
  });
});

describe('estimateChatPromptTokens', () => {
  it('adds the reply and per-message framing to the content', () => {
    expect(estimateChatPromptTokens([])).toBe(REPLY);
    expect(estimateChatPromptTokens([{ role: 'user', content: 'hello world' }])).toBe(REPLY + PER_MESSAGE + 2);
    expect(
      estimateChatPromptTokens([
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hello world' },
      ]),
    ).toBe(REPLY + 2 * PER_MESSAGE + countTokens('You are terse.') + 2);
  });

  it('counts text parts, names, tool calls and tool definitions', () => {
    const toolCalls = [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }];
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const messages = [
      { role: 'user', name: 'alice', content: [{ type: 'text', text: 'hello' }, { type: 'text', text: 'world' }] },
      { role: 'assistant', content: null, tool_calls: toolCalls },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    ];
    const expected =
      REPLY + 3 * PER_MESSAGE + countTokens('alice') + countTokens('hello') + countTokens('world') + countTokens(JSON.stringify(toolCalls)) + countTokens('sunny');
    expect(estimateChatPromptTokens(messages)).toBe(expected);
    expect(estimateChatPromptTokens(messages, tools)).toBe(expected + countTokens(JSON.stringify(tools)));
    expect(estimateChatPromptTokens(messages, null)).toBe(expected);
  });

  it('skips entries that are not messages', () => {
    expect(estimateChatPromptTokens([null, 42, 'text', { role: 'user', content: 'hi' }])).toBe(REPLY + PER_MESSAGE + countTokens('hi'));
  });

  describe('images are bounded', () => {
    const dataUrl = `data:image/png;base64,${'iVBORw0KGgo'.repeat(500_000)}`; // ~5.5 MB

    it('counts each image as a fixed high-detail bound, however large its URL or data', () => {
      const small = estimateChatPromptTokens([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }]);
      let huge = 0;
      const ms = timed(() => (huge = estimateChatPromptTokens([{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl, detail: 'high' } }] }])));
      expect(small).toBe(REPLY + PER_MESSAGE + IMAGE_TOKENS_BOUND);
      expect(huge).toBe(small);
      expect(ms).toBeLessThan(100); // the data is never tokenised
    });

    it('adds one bound per image, also for Responses-style input_image parts', () => {
      const content = [
        { type: 'text', text: 'compare these' },
        { type: 'image_url', image_url: { url: dataUrl } },
        { type: 'input_image', image_url: 'https://example.com/b.png' },
        { type: 'image_url', image_url: { url: 'https://example.com/c.png', detail: 'low' } },
      ];
      expect(estimateChatPromptTokens([{ role: 'user', content }])).toBe(REPLY + PER_MESSAGE + countTokens('compare these') + 3 * IMAGE_TOKENS_BOUND);
    });

    it('is a plausible bound: more than a low-detail image, less than a page of text', () => {
      expect(IMAGE_TOKENS_BOUND).toBeGreaterThanOrEqual(765); // a 1024×1024 high-detail image: 85 + 4 × 170
      expect(IMAGE_TOKENS_BOUND).toBeLessThan(2_000);
    });
  });
});

describe('tokenising budget per request', () => {
  it('counts texts exactly up to the budget and bounds the rest by their UTF-8 length', async () => {
    const { estimateChatPromptTokens, TOKENIZE_BUDGET_CHARS } = await import('../../../src-gateway/domain/token-estimate.js');
    const text = 'the quick brown fox jumps over the lazy dog '.repeat(450).slice(0, 20_000);
    const within = TOKENIZE_BUDGET_CHARS / text.length;
    const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ role: 'user', content: `${i % 10}${text.slice(1)}` }));
    const exact = estimateChatPromptTokens(messages(within));
    const withExtra = estimateChatPromptTokens(messages(within + 3));
    expect(exact).toBeLessThan(within * text.length / 3);
    expect(withExtra - exact).toBe(3 * (text.length + 4));
  });
});
