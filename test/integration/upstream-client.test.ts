import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyTransportError, createUpstreamClient, type UpstreamResponse } from '../../src-gateway/providers/http.js';
import { closeServer, listenOnLoopback } from '../support/fakes/loopback.js';

/**
 * The upstream HTTP client against a real loopback server: answers, timeouts, aborts, backpressure and connection
 * reuse, the behaviours every pipeline relies on.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let handler: Handler = (_req, res) => res.end();
const server = http.createServer((req, res) => handler(req, res));
let base = '';
/** Remote ports of the connections the server accepted, in order. */
const connections: number[] = [];
server.on('connection', (socket) => connections.push(socket.remotePort!));

const client = createUpstreamClient({ headersTimeoutMs: 300, bodyTimeoutMs: 5_000 });
const call = (path = '/chat', body = '{"hello":"upstream"}') => ({ url: `${base}${path}?api-version=2024-10-21`, headers: { 'content-type': 'application/json', 'api-key': 'deployment-secret' }, body });
/** Resolves when the socket closes, however it closed (a reset is what some of these tests expect). */
const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  base = await listenOnLoopback(server);
});
afterAll(async () => {
  await client.close();
  await closeServer(server);
});

describe('upstream client', () => {
  it('posts the call and resolves at the headers, with the status, lower-cased headers and the body', async () => {
    let seen: { method?: string; url?: string; key?: string | string[]; body: string } = { body: '' };
    handler = (req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, key: req.headers['api-key'], body };
        res.writeHead(429, { 'Retry-After': '7', 'X-Request-Id': 'abc', 'Set-Cookie': ['a=1', 'b=2'] }).end('{"error":"slow down"}');
      });
    };
    const res = await client.send(call());
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.headers['x-request-id']).toBe('abc');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(await res.body.text()).toBe('{"error":"slow down"}');
    expect(seen).toEqual({ method: 'POST', url: '/chat?api-version=2024-10-21', key: 'deployment-secret', body: '{"hello":"upstream"}' });
  });

  it('resolves before the body has come, and hands each part over as it arrives', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      let i = 0;
      const tick = setInterval(() => {
        res.write(`data: ${i}\n\n`);
        if (++i === 3) {
          clearInterval(tick);
          res.end();
        }
      }, 40);
    };
    const started = performance.now();
    const res = await client.send(call());
    expect(performance.now() - started).toBeLessThan(40);
    const arrivals: number[] = [];
    let text = '';
    for await (const chunk of res.body) {
      arrivals.push(performance.now() - started);
      text += String(chunk);
    }
    expect(text).toBe('data: 0\n\ndata: 1\n\ndata: 2\n\n');
    expect(arrivals.length).toBe(3);
    expect(arrivals[2]! - arrivals[0]!).toBeGreaterThan(60);
  });

  it('fails a call whose headers do not come within the headers timeout, on time, as a timeout', async () => {
    handler = () => {}; // never answers
    const started = performance.now();
    const err = await client.send(call()).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(classifyTransportError(err)).toBe('timeout');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(450);
  });

  it('aborts before the headers: rejects as aborted and closes the upstream connection', async () => {
    let upstreamClosed: Promise<unknown> = Promise.resolve();
    handler = (req) => (upstreamClosed = closed(req.socket));
    const controller = new AbortController();
    const pending = client.send(call(), controller.signal);
    await sleep(50);
    controller.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(classifyTransportError(err)).toBe('aborted');
    await upstreamClosed;
  });

  it('refuses a URL it cannot parse with a rejected promise, not a throw', async () => {
    const sent = client.send({ ...call(), url: 'not a url' });
    expect(sent).toBeInstanceOf(Promise);
    await expect(sent).rejects.toThrow(TypeError);
  });

  it('does not call the upstream at all with a signal that is already aborted', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      res.end();
    };
    const err = await client.send(call(), AbortSignal.abort()).catch((e: unknown) => e);
    expect(classifyTransportError(err)).toBe('aborted');
    await sleep(50);
    expect(calls).toBe(0);
  });

  it('aborted mid-body: the body errors and the upstream connection is closed', async () => {
    let upstreamClosed: Promise<unknown> = Promise.resolve();
    handler = (req, res) => {
      upstreamClosed = closed(req.socket);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    };
    const controller = new AbortController();
    const res = await client.send(call(), controller.signal);
    const first = await new Promise<string>((resolve) => res.body.once('data', (c) => resolve(String(c))));
    expect(first).toBe('data: first\n\n');
    const failed = once(res.body, 'error');
    controller.abort();
    const [err] = await failed;
    expect(classifyTransportError(err)).toBe('aborted');
    await upstreamClosed;
  });

  it('destroying the body before its end closes the upstream connection', async () => {
    let upstreamClosed: Promise<unknown> = Promise.resolve();
    handler = (req, res) => {
      upstreamClosed = closed(req.socket);
      res.writeHead(200).write('part');
    };
    const res = await client.send(call());
    await once(res.body, 'readable');
    res.body.destroy();
    await upstreamClosed;
    expect(res.body.destroyed).toBe(true);
  });

  it('an upstream connection that breaks mid-body fails text() as a network error, not a hang', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'content-length': '100' }).write('only part of it');
      setTimeout(() => req.socket.destroy(), 20);
    };
    const res = await client.send(call());
    const err = await res.body.text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(classifyTransportError(err)).toBe('network');
  });

  it('pauses the upstream while the reader falls behind, and still delivers every byte in order', async () => {
    const parts = 64;
    const part = Buffer.alloc(64 * 1024);
    let pausedWrites = 0;
    handler = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let i = 0; i < parts; i++) {
        part.fill(i % 251);
        if (!res.write(Buffer.from(part))) {
          pausedWrites++;
          await once(res, 'drain');
        }
      }
      res.end();
    };
    const res = await client.send(call());
    let received = 0;
    let ordered = true;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      for (let j = 0; j < chunk.length; j += 4096) if (chunk[j] !== Math.floor((received + j) / part.length) % 251) ordered = false;
      received += chunk.length;
      if (received < 512 * 1024) await sleep(30); // a slow reader at first: the upstream must wait for it
    }
    expect(received).toBe(parts * part.length);
    expect(ordered).toBe(true);
    expect(pausedWrites).toBeGreaterThan(0);
  });

  it('dump() drains a small answer and keeps the connection for the next call; a large one closes it', async () => {
    handler = (req, res) => req.resume().on('end', () => res.writeHead(500).end('x'.repeat(1000)));
    const first: UpstreamResponse = await client.send(call());
    await first.body.dump();
    const opened = connections.length;
    const second = await client.send(call());
    await second.body.dump();
    expect(connections.length).toBe(opened);

    let upstreamClosed: Promise<unknown> = Promise.resolve();
    handler = (req, res) => {
      upstreamClosed = closed(req.socket);
      res.writeHead(500);
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = (): void => {
        while (res.write(chunk));
        res.once('drain', pump);
      };
      pump();
    };
    const large = await client.send(call());
    await large.body.dump();
    await upstreamClosed;
  });
});
