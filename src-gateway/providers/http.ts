import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import type { UpstreamCall } from './types.js';

/** How an answer's body began: its first bytes came, it ended without any, or the connection failed first. */
export type BodyStart = 'data' | 'end' | 'error';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & {
    text(): Promise<string>;
    dump(): Promise<void>;
    /** How the body began, once known (often already when the answer is handed over: headers and data share a read). */
    readonly beginning: BodyStart | undefined;
    /** Resolves with `beginning` once it is known. */
    began(): Promise<BodyStart>;
  };
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

type DispatchController = Dispatcher.DispatchController;

export interface UpstreamClientOptions {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** What `dump()` reads before it gives up on reusing the connection and closes it instead (undici's default). */
const DUMP_LIMIT_BYTES = 128 * 1024;

const abortError = (reason?: unknown): Error =>
  reason instanceof Error ? reason : Object.assign(new Error('The upstream call was aborted.'), { name: 'AbortError', code: 'UND_ERR_ABORTED' });

/**
 * An upstream answer's body: a plain `Readable` fed by undici's dispatch handler, with the two helpers the pipelines
 * use. Reading pauses the upstream connection when the consumer falls behind; destroying it before the end aborts the
 * upstream call.
 */
class UpstreamBody extends Readable {
  complete = false;
  beginning: BodyStart | undefined;

  constructor(private readonly controller: DispatchController) {
    super();
  }

  override _read(): void {
    this.controller.resume();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.complete) this.controller.abort(abortError(err ?? undefined));
    callback(err);
  }

  began(): Promise<BodyStart> {
    return this.beginning ? Promise.resolve(this.beginning) : new Promise((resolve) => this.once('begin', resolve));
  }

  /** Told by the dispatch handler at each event of the body; only the first one counts. */
  begin(start: BodyStart): void {
    if (this.beginning) return;
    this.beginning = start;
    this.emit('begin', start);
  }

  /** The whole body as UTF-8 text; rejects when the upstream connection fails or the body is destroyed first. */
  text(): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      this.on('data', (chunk: Buffer) => chunks.push(chunk));
      this.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      this.once('error', reject);
      this.once('close', () => {
        if (!this.readableEnded) reject(abortError());
      });
    });
  }

  /** Reads and drops the body so the connection can serve the next call; past 128 KiB it closes the connection instead. */
  dump(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      let read = 0;
      this.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > DUMP_LIMIT_BYTES) this.destroy();
      });
      this.on('error', () => {});
      this.once('close', () => resolve());
      this.resume();
    });
  }
}

interface UpstreamTarget {
  origin: string;
  /** Path and query. */
  path: string;
}

/** URLs parsed so far. A deployment's URL is the same on every call, and parsing one costs ~50 µs after an idle gap. */
const targets = new Map<string, UpstreamTarget>();
const MAX_TARGETS = 1024;

/** The origin and path of an upstream URL, parsed once; throws as `new URL` does. */
function targetOf(url: string): UpstreamTarget {
  let target = targets.get(url);
  if (!target) {
    const parsed = new URL(url);
    target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
    // URLs that change per call (a job's status URL) would grow the map forever: start over past a bound.
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(url, target);
  }
  return target;
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
    /**
     * POSTs `call` and resolves at the response headers. A dispatch handler rather than undici's `request()`: the
     * answer's bytes reach the pipeline without request()'s handler, async resource and promise hops, which measured
     * ~0.15 ms on a streamed call's first event after an idle gap.
     */
    send(call: UpstreamCall, signal?: AbortSignal): Promise<UpstreamResponse> {
      let url: UpstreamTarget;
      try {
        url = targetOf(call.url);
      } catch (err) {
        return Promise.reject(err);
      }
      if (signal?.aborted) return Promise.reject(abortError(signal.reason));
      return new Promise((resolve, reject) => {
        let controller: DispatchController | undefined;
        let body: UpstreamBody | undefined;
        let abortReason: Error | undefined;
        let settled = false;
        let timer: NodeJS.Timeout | undefined;
        const abort = (reason: Error): void => {
          abortReason ??= reason;
          controller?.abort(reason);
        };
        const onAbort = (): void => abort(abortError(signal?.reason));
        const done = (): void => {
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        };

        agent.dispatch(
          { origin: url.origin, path: url.path, method: 'POST', headers: call.headers, body: call.body },
          {
            onRequestStart(ctrl) {
              controller = ctrl;
              if (abortReason) ctrl.abort(abortReason);
            },
            onResponseStart(ctrl, statusCode, headers) {
              if (statusCode < 200) return; // informational (100-continue): the real answer follows
              clearTimeout(timer);
              body = new UpstreamBody(ctrl);
              resolve({ status: statusCode, headers, body: body as UpstreamResponse['body'] });
            },
            onResponseData(ctrl, chunk) {
              if (!body) return;
              body.begin('data');
              if (!body.push(chunk)) ctrl.pause();
            },
            onResponseEnd() {
              done();
              if (!body) return;
              body.complete = true;
              body.begin('end');
              body.push(null);
            },
            onResponseError(_ctrl, err) {
              done();
              const reason = abortReason ?? err;
              if (!body) return reject(reason);
              body.complete = true;
              body.begin('error');
              // Nobody may be reading (an answer the pipeline was about to drop): the error must not go unhandled.
              body.on('error', () => {});
              body.destroy(reason);
            },
          },
        );
        // Armed after dispatch(), which writes the call to a free connection at once: the upstream is already working
        // while these are set. A call that failed inside dispatch() needs neither.
        if (settled) return;
        // undici runs headersTimeout on coarse timers (a 300 ms timeout fires after 0.5-1 s): a native timer keeps it honest.
        timer = setTimeout(
          () => abort(Object.assign(new Error('The upstream sent no response headers in time.'), { code: 'UND_ERR_HEADERS_TIMEOUT' })),
          options.headersTimeoutMs,
        );
        signal?.addEventListener('abort', onAbort, { once: true });
      });
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
