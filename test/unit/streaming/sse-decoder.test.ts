import { describe, expect, it } from 'vitest';
import { SseDecoder, type SseEvent } from '../../../src-gateway/streaming/sse-decoder.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Decodes `input` delivered as the given chunks, including the end of the stream. */
function decodeChunks(chunks: Uint8Array[]): SseEvent[] {
  const decoder = new SseDecoder();
  const events = chunks.flatMap((chunk) => decoder.push(chunk));
  return [...events, ...decoder.end()];
}

/** Every way of cutting `input` into two chunks, plus one byte at a time. */
function everySplit(input: Uint8Array): { label: string; chunks: Uint8Array[] }[] {
  const splits = [{ label: 'whole', chunks: [input] }];
  for (let at = 0; at <= input.length; at++) splits.push({ label: `split at byte ${at}`, chunks: [input.subarray(0, at), input.subarray(at)] });
  splits.push({ label: 'byte by byte', chunks: Array.from(input, (_, i) => input.subarray(i, i + 1)) });
  return splits;
}

/** Asserts that `input` decodes to `expected` however it is chunked. */
function expectDecodes(input: string | Uint8Array, expected: Partial<SseEvent>[]): void {
  const raw = typeof input === 'string' ? bytes(input) : input;
  for (const { label, chunks } of everySplit(raw)) {
    const events = decodeChunks(chunks);
    expect(events, label).toHaveLength(expected.length);
    events.forEach((event, i) => expect(event, `${label}, event ${i}`).toMatchObject(expected[i]!));
  }
}

const chunk = (content: string) => JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] });

describe('SseDecoder', () => {
  it('decodes an OpenAI-style stream, forwarding each event\'s text as received', () => {
    const first = chunk('Hel');
    const second = chunk('lo');
    expectDecodes(`data: ${first}\n\ndata: ${second}\n\ndata: [DONE]\n\n`, [
      { text: `data: ${first}`, data: first, event: null },
      { text: `data: ${second}`, data: second, event: null },
      { text: 'data: [DONE]', data: '[DONE]', event: null },
    ]);
  });

  describe('line endings', () => {
    for (const [name, eol] of [
      ['LF', '\n'],
      ['CRLF', '\r\n'],
      ['CR', '\r'],
    ] as const) {
      it(`accepts ${name}, split anywhere (including between CR and LF)`, () => {
        expectDecodes(`event: a${eol}data: 1${eol}${eol}data: 2${eol}${eol}`, [
          { text: 'event: a\ndata: 1', data: '1', event: 'a' },
          { text: 'data: 2', data: '2', event: null },
        ]);
      });
    }

    it('accepts a mix of line endings in one stream', () => {
      expectDecodes('data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\n\n', [{ data: 'a' }, { data: 'b' }, { data: 'c' }, { data: 'd' }]);
    });

    it('treats CR CR as two line ends, not one', () => {
      expectDecodes('data: x\r\rdata: y\r\r', [{ data: 'x' }, { data: 'y' }]);
    });

    it('reports an event as soon as its blank line arrives, without waiting for the next chunk', () => {
      for (const stream of ['data: x\n\n', 'data: x\r\n\r\n']) {
        const decoder = new SseDecoder();
        expect(decoder.push(bytes(stream)).map((e) => e.data), JSON.stringify(stream)).toEqual(['x']);
      }
    });

    it('holds a trailing CR until it knows whether an LF follows', () => {
      const decoder = new SseDecoder();
      expect(decoder.push(bytes('data: x\r\n\r'))).toEqual([]);
      expect(decoder.push(bytes('\n')).map((e) => e.data)).toEqual(['x']);
      expect(decoder.push(bytes('data: y\r\n\r\n')).map((e) => e.data)).toEqual(['y']);
    });
  });

  describe('UTF-8', () => {
    it('keeps characters whose bytes are split across chunks (2-, 3- and 4-byte sequences)', () => {
      const text = 'héllo → 世界 😀';
      const payload = chunk(text);
      expectDecodes(`data: ${payload}\n\n`, [{ data: payload }]);
      expect(JSON.parse(decodeChunks([bytes(`data: ${payload}\n\n`)])[0]!.data!).choices[0].delta.content).toBe(text);
    });

    it('splits inside the 4 bytes of an emoji one byte at a time', () => {
      const raw = bytes('data: 😀\n\n');
      // 'data: ' is 6 bytes, the emoji bytes 6..9.
      for (const cut of [7, 8, 9]) {
        const decoder = new SseDecoder();
        expect(decoder.push(raw.subarray(0, cut))).toEqual([]);
        expect(decoder.push(raw.subarray(cut)).map((e) => e.data)).toEqual(['😀']);
      }
    });

    it('ignores a byte-order mark at the start of the stream', () => {
      expectDecodes(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('data: a\n\n')]), [{ data: 'a', text: 'data: a' }]);
    });
  });

  describe('fields', () => {
    it('joins multi-line data with LF', () => {
      expectDecodes('data: {"a":\ndata: 1}\ndata:\n\n', [{ data: '{"a":\n1}\n', text: 'data: {"a":\ndata: 1}\ndata:' }]);
    });

    it('removes exactly one space after the colon', () => {
      expectDecodes('data:x\n\ndata:  y\n\n', [{ data: 'x' }, { data: ' y' }]);
    });

    it('reads the event field, as Anthropic streams name their events', () => {
      const payload = '{"type":"message_stop"}';
      expectDecodes(`event: message_stop\ndata: ${payload}\n\n`, [{ event: 'message_stop', data: payload }]);
      expectDecodes('event:ping\ndata: {}\n\n', [{ event: 'ping', data: '{}' }]);
    });

    it('keeps comments (heartbeats) as events without data', () => {
      expectDecodes(': keep-alive\n\ndata: a\n\n:\n\n', [
        { text: ': keep-alive', data: null, event: null },
        { text: 'data: a', data: 'a' },
        { text: ':', data: null },
      ]);
    });

    it('ignores a comment line inside an event but keeps it in the forwarded text', () => {
      expectDecodes('data: a\n: note\ndata: b\n\n', [{ data: 'a\nb', text: 'data: a\n: note\ndata: b' }]);
    });

    it('ignores id, retry and unknown fields', () => {
      expectDecodes('id: 7\nretry: 100\nfoo: bar\ndata: a\n\n', [{ data: 'a', event: null }]);
    });

    it('recognises [DONE] as plain data', () => {
      expectDecodes('data: [DONE]\n\n', [{ data: '[DONE]', text: 'data: [DONE]' }]);
    });
  });

  describe('event boundaries', () => {
    it('skips extra blank lines between events, whatever their number', () => {
      for (const gap of ['\n', '\n\n', '\n\n\n', '\r\n\r\n\r\n']) {
        expectDecodes(`data: a\n\n${gap}data: b\n\n`, [
          { text: 'data: a', data: 'a' },
          { text: 'data: b', data: 'b' },
        ]);
      }
    });

    it('ignores blank lines before the first event', () => {
      expectDecodes('\n\n\ndata: a\n\n', [{ text: 'data: a', data: 'a' }]);
    });

    it('delivers a final event that has no terminating blank line at the end of the stream', () => {
      expectDecodes('data: a\n\ndata: [DONE]', [{ data: 'a' }, { data: '[DONE]', text: 'data: [DONE]' }]);
      expectDecodes('data: a\n\ndata: last\n', [{ data: 'a' }, { data: 'last' }]);
      expectDecodes('data: a\r\n\r\ndata: last\r', [{ data: 'a' }, { data: 'last', text: 'data: last' }]);
    });

    it('delivers nothing for an empty stream or one of blank lines', () => {
      expect(decodeChunks([])).toEqual([]);
      expect(decodeChunks([bytes('\n\n\r\n')])).toEqual([]);
    });

    it('does not return an event twice', () => {
      const decoder = new SseDecoder();
      expect(decoder.push(bytes('data: a\n\ndata: b'))).toHaveLength(1);
      expect(decoder.end().map((e) => e.data)).toEqual(['b']);
    });

    it('decodes a long stream of many events chunked at odd sizes', () => {
      const payloads = Array.from({ length: 200 }, (_, i) => chunk(`tok ${i} → ✓`));
      const raw = bytes(payloads.map((p) => `data: ${p}\r\n\r\n`).join('') + 'data: [DONE]\r\n\r\n');
      for (const size of [1, 3, 7, 64, 1000]) {
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < raw.length; i += size) chunks.push(raw.subarray(i, i + size));
        expect(decodeChunks(chunks).map((e) => e.data), `chunks of ${size}`).toEqual([...payloads, '[DONE]']);
      }
    });
  });
});
