import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { readTimed, serveWriter, sleep } from '../../support/stream-writers.js';
import { JsonArrayWriter } from '../../../src-gateway/streaming/json-array-writer.js';

const DEFAULTS = { paddingBytes: 64, heartbeatMs: 0 };

/** A loopback server whose handler drives a JsonArrayWriter; counts the socket writes each response makes. */
function serve(handler: (writer: JsonArrayWriter, res: http.ServerResponse) => void | Promise<void>, options = DEFAULTS) {
  return serveWriter((res) => new JsonArrayWriter(res, options), handler);
}
const read = readTimed;

describe('JsonArrayWriter', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('frames elements as Google does and the body is one valid JSON array, with no padding', async () => {
    const server = await serve((writer) => {
      writer.open();
      writer.writeData('{"n":1}');
      writer.writeData('{"n":2}');
      writer.writeData('{"n":3}');
      writer.end();
    });
    close = server.close;
    const { text, headers } = await read(server.url);
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(text).toBe('[{"n":1}\r\n,\r\n{"n":2}\r\n,\r\n{"n":3}\r\n]');
    expect(JSON.parse(text)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('sends the headers, the opening bracket and the events of the opening turn in one socket write', async () => {
    const seen: number[] = [];
    const server = await serve(async (writer) => {
      writer.open();
      writer.writeData('{"n":1}');
      await sleep(30);
      seen.push(server.socketWrites[0]!);
      writer.end();
    });
    close = server.close;
    const { arrivals } = await read(server.url);
    expect(seen).toEqual([1]);
    expect(arrivals[0]!.text).toBe('[{"n":1}');
  });

  it('sends each element as soon as it is written, spread in time like its writes', async () => {
    const server = await serve(async (writer) => {
      writer.open();
      for (let n = 0; n < 4; n++) {
        await sleep(40);
        writer.batch(() => writer.writeData(`{"n":${n}}`));
      }
      writer.end();
    });
    close = server.close;
    const { arrivals, text } = await read(server.url);
    const at = (n: number) => arrivals.find((a) => a.text.includes(`{"n":${n}}`))!.at;
    for (let n = 1; n < 4; n++) expect(at(n) - at(n - 1)).toBeGreaterThanOrEqual(25);
    expect(JSON.parse(text)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('takes data events as elements, and refuses events a JSON array cannot carry', async () => {
    const errors: unknown[] = [];
    const server = await serve((writer) => {
      writer.open();
      writer.writeEvent('data: {"candidates":[]}');
      for (const bad of ['event: ping\ndata: {}', ': comment', 'data: {}\ndata: {}']) {
        try {
          writer.writeEvent(bad);
        } catch (err) {
          errors.push(err);
        }
      }
      writer.end();
    });
    close = server.close;
    const { text } = await read(server.url);
    expect(JSON.parse(text)).toEqual([{ candidates: [] }]);
    expect(errors).toHaveLength(3);
    expect(errors.every((e) => e instanceof TypeError)).toBe(true);
  });

  it('ends a failed stream with the error element and the closing bracket, so the JSON stays valid', async () => {
    const server = await serve(async (writer) => {
      writer.open();
      writer.writeData('{"candidates":[{"content":{"parts":[{"text":"one"}]}}]}');
      await sleep(20);
      writer.writeData('{"error":{"code":502,"message":"The upstream stream ended before it was complete.","status":"UNAVAILABLE"}}');
      writer.end();
      writer.end();
      writer.writeData('{"late":true}');
    });
    close = server.close;
    const { text } = await read(server.url);
    const elements = JSON.parse(text) as object[];
    expect(elements).toHaveLength(2);
    expect(elements.at(-1)).toEqual({ error: { code: 502, message: 'The upstream stream ended before it was complete.', status: 'UNAVAILABLE' } });
  });

  it('is an empty array when nothing was written', async () => {
    const server = await serve((writer) => {
      writer.open();
      writer.end();
    });
    close = server.close;
    const { text } = await read(server.url);
    expect(JSON.parse(text)).toEqual([]);
  });

  it('keeps a silent stream alive with JSON whitespace, never an SSE comment', async () => {
    const server = await serve(
      async (writer) => {
        writer.open();
        await sleep(130);
        writer.writeData('{"x":1}');
        await sleep(100);
        writer.writeData('{"x":2}');
        writer.end();
      },
      { paddingBytes: 64, heartbeatMs: 40 },
    );
    close = server.close;
    const { text } = await read(server.url);
    expect(text).not.toContain('keep-alive');
    const beats = text.replace(/\r\n,\r\n/g, '').replace(/\r\n]$/, '').match(/\n/g) ?? [];
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(beats.length).toBeLessThanOrEqual(6);
    expect(text.startsWith('[')).toBe(true);
    expect(JSON.parse(text)).toEqual([{ x: 1 }, { x: 2 }]);
  });
});
