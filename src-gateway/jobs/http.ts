import { Agent, request } from 'undici';
import { classifyTransportError, type TransportFailure } from '../providers/http.js';
import type { JobCall } from './types.js';

/** A finished upstream answer, read whole (job answers are small JSON; media is capped by `maxBytes`). */
export interface JobAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A transport failure (connect, timeout, reset) or an answer over the size cap. */
export class JobTransportError extends Error {
  override name = 'JobTransportError';
  constructor(readonly kind: TransportFailure | 'too_large', message: string) {
    super(message);
  }
}

export interface JobHttpOptions {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** JSON answers above this are refused: no job status or create answer comes close. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** Generated media above this are refused rather than held in memory (a minute of 1080p video is tens of MB). */
export const MAX_MEDIA_BYTES = 1024 * 1024 * 1024;

/**
 * The HTTP client of the job runner: its own keep-alive pool (polls and downloads must not queue behind chat streams),
 * any method, the whole answer read into memory up to a cap.
 */
export function createJobHttp(options: JobHttpOptions) {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    connections: 64,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    connect: { timeout: 10_000 },
  });
  return {
    /** Sends `call` and reads its answer; throws JobTransportError on transport failures and oversized answers. */
    async send(call: JobCall, signal: AbortSignal, maxBytes = MAX_JSON_BYTES): Promise<JobAnswer> {
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(call.url, { method: call.method, headers: call.headers, body: call.body, signal, dispatcher: agent });
      } catch (err) {
        throw new JobTransportError(classifyTransportError(err), (err as Error).message);
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.body.destroy();
        throw new JobTransportError('too_large', `the answer is larger than ${maxBytes} bytes`);
      }
      const chunks: Buffer[] = [];
      let total = 0;
      try {
        for await (const chunk of res.body) {
          total += (chunk as Buffer).length;
          if (total > maxBytes) {
            res.body.destroy();
            throw new JobTransportError('too_large', `the answer is larger than ${maxBytes} bytes`);
          }
          chunks.push(chunk as Buffer);
        }
      } catch (err) {
        if (err instanceof JobTransportError) throw err;
        throw new JobTransportError(classifyTransportError(err), (err as Error).message);
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks, total) };
    },
    close: (): Promise<void> => agent.close(),
  };
}

export type JobHttp = ReturnType<typeof createJobHttp>;

/** The answer's body as JSON, or undefined when it is not JSON. */
export function answerJson(answer: JobAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8'));
  } catch {
    return undefined;
  }
}
