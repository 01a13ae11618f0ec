import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { readTimed, serveWriter, sleep } from '../../support/stream-writers.js';
import { SseWriter } from '../../../src-gateway/streaming/sse-writer.js';

const DEFAULTS = { paddingBytes: 64, heartbeatMs: 0 };

/** A loopback server whose handler drives a SseWriter; counts the socket writes each response makes. */
function serve(handler: (writer: SseWriter, res: http.ServerResponse) => void | Promise<void>, options = DEFAULTS) {
  return serveWriter((res) => new SseWriter(res, options), handler);
}
const read = readTimed;

describe('SseWriter', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('sends the headers, the padding and the events of the opening turn in one socket write', async () => {
    const seen: number[] = [];
    const server = await serve(async (writer) => {
      writer.open();
      writer.writeData('{"n":1}');
      writer.writeData('{"n":2}');
      await sleep(30);
      seen.push(server.socketWrites[0]!);
      writer.writeData('[DONE]');
      writer.end();
    });
    close = server.close;
    const { text, headers } = await read(server.url);
    expect(headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(text).toBe(`:${' '.repeat(61)}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n`);
    expect(seen).toEqual([1]);
  });

  it('flushes the headers and padding in the opening turn even when no event follows soon', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await serve(async (writer) => {
      writer.open();
      await gate;
      writer.writeData('late');
      writer.end();
    });
    close = server.close;
    const reading = read(server.url);
    await sleep(150);
    release();
    const { arrivals } = await reading;
    expect(arrivals[0]!.text).toBe(`:${' '.repeat(61)}\n\n`);
    expect(arrivals[0]!.at).toBeLessThan(100);
    expect(arrivals.at(-1)!.at).toBeGreaterThanOrEqual(140);
  });

  it('sends a batch of events in one socket write, and separate batches as they come', async () => {
    const seen: number[] = [];
    const server = await serve(async (writer) => {
      writer.open();
      await sleep(20);
      seen.push(server.socketWrites[0]!);
      writer.batch(() => {
        for (let n = 0; n < 5; n++) writer.writeData(`{"n":${n}}`);
      });
      seen.push(server.socketWrites[0]!);
      await sleep(40);
      writer.batch(() => writer.writeData('[DONE]'));
      writer.end();
    });
    close = server.close;
    const { arrivals, text } = await read(server.url);
    expect(text.match(/^data: /gm)).toHaveLength(6);
    expect(seen).toEqual([1, 2]);
    const five = arrivals.find((a) => a.text.includes('{"n":0}'))!;
    expect(five.text).toContain('{"n":4}');
    const done = arrivals.find((a) => a.text.includes('[DONE]'))!;
    expect(done.at - five.at).toBeGreaterThanOrEqual(30);
  });

  it('sends heartbeat comments while silent and stops them at the end', async () => {
    const server = await serve(
      async (writer) => {
        writer.open();
        await sleep(130);
        writer.writeData('x');
        writer.end();
      },
      { paddingBytes: 0, heartbeatMs: 40 },
    );
    close = server.close;
    const { text } = await read(server.url);
    const beats = text.match(/^: keep-alive$/gm) ?? [];
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.length).toBeLessThanOrEqual(3);
    expect(text.endsWith('data: x\n\n')).toBe(true);
  });

  it('ends cleanly when ended in the turn that opened it', async () => {
    const server = await serve((writer) => {
      writer.open();
      writer.writeData('only');
      writer.end();
    });
    close = server.close;
    const { text } = await read(server.url);
    expect(text).toBe(`:${' '.repeat(61)}\n\ndata: only\n\n`);
  });
});
