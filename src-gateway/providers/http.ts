import { Agent, request } from 'undici';
import type { Readable } from 'node:stream';
import type { UpstreamCall } from './types.js';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { text(): Promise<string>; dump(): Promise<void> };
}

export type TransportFailure = 'connect' | 'timeout' | 'aborted' | 'network';

/** Sorts a thrown transport error into the kinds routing cares about. */
export function classifyTransportError(err: unknown): TransportFailure {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (e?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return 'aborted';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'connect';
  return 'network';
}

export interface UpstreamClientOptions {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** Keep-alive HTTP client for upstream calls (one connection pool per origin). */
export function createUpstreamClient(options: UpstreamClientOptions) {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connections: 512,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    connect: { timeout: 10_000 },
  });
  return {
    async send(call: UpstreamCall, signal?: AbortSignal): Promise<UpstreamResponse> {
      // undici runs headersTimeout on coarse timers (a 300 ms timeout fires after 0.5-1 s): a native timer keeps it honest.
      const controller = new AbortController();
      const forward = () => controller.abort(signal?.reason);
      if (signal?.aborted) forward();
      else signal?.addEventListener('abort', forward, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, options.headersTimeoutMs);
      try {
        const res = await request(call.url, { method: 'POST', headers: call.headers, body: call.body, signal: controller.signal, dispatcher: agent });
        return { status: res.statusCode, headers: res.headers, body: res.body as UpstreamResponse['body'] };
      } catch (err) {
        if (timedOut) throw Object.assign(new Error('The upstream sent no response headers in time.'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    close: (): Promise<void> => agent.close(),
  };
}

export type UpstreamClient = ReturnType<typeof createUpstreamClient>;

/** `Retry-After` (seconds or HTTP date) or Azure's `retry-after-ms`, in milliseconds. */
export function retryAfterMs(headers: UpstreamResponse['headers'], now = Date.now()): number | undefined {
  const ms = headers['retry-after-ms'];
  if (typeof ms === 'string' && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers['retry-after'];
  if (typeof value !== 'string') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
