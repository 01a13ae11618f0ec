import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback server whose handler drives a stream writer made by `create` for each response; counts the socket
 * writes each response makes (`socketWrites[i]` for the i-th request).
 */
export async function serveWriter<W>(
  create: (res: http.ServerResponse) => W,
  handler: (writer: W, res: http.ServerResponse) => void | Promise<void>,
) {
  const socketWrites: number[] = [];
  const server = http.createServer((_req, res) => {
    const socket = res.socket as Socket & { _writeGeneric: (...args: unknown[]) => unknown };
    const original = socket._writeGeneric;
    const index = socketWrites.push(0) - 1;
    socket._writeGeneric = function (...args: unknown[]) {
      socketWrites[index]!++;
      return original.apply(this, args);
    };
    void handler(create(res), res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, socketWrites, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The body as it arrived, with the time of each piece since the request was sent. */
export async function readTimed(url: string): Promise<{ text: string; arrivals: { at: number; text: string }[]; headers: Headers }> {
  const started = performance.now();
  const res = await fetch(url);
  const arrivals: { at: number; text: string }[] = [];
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    arrivals.push({ at: performance.now() - started, text: decoder.decode(chunk.value, { stream: true }) });
  }
  return { text: arrivals.map((a) => a.text).join(''), arrivals, headers: res.headers };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
