import type { ServerResponse } from 'node:http';
import { once } from 'node:events';

export interface SseWriterOptions {
  /** Size of the SSE comment sent first, so buffering proxies flush at once (0 = none). */
  paddingBytes: number;
  /** Heartbeat comment interval while nothing else is written. */
  heartbeatMs: number;
  headers?: Record<string, string>;
}

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  'alt-svc': 'clear',
  connection: 'keep-alive',
};

const HEARTBEAT = ': keep-alive\n\n';

/**
 * Writes an SSE response: headers, the padding comment, events as they come, comment heartbeats whenever the stream
 * has been silent for `heartbeatMs`. Never holds an event back: the events of one upstream read leave in one socket
 * write (`batch`), and the headers and padding leave in the event-loop turn that opened the stream, together with
 * whatever events that turn already has.
 */
export class SseWriter {
  private heartbeat: NodeJS.Timeout | undefined;
  private ended = false;
  private openCorked = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseWriterOptions,
  ) {}

  /** True once the client is gone or the stream was ended. */
  get closed(): boolean {
    return this.ended || this.res.destroyed || this.res.writableEnded;
  }

  open(): void {
    // One write for the headers, the padding and the events already received, instead of one each: on loopback each
    // socket write is a system call that wakes the client.
    this.res.cork();
    this.openCorked = true;
    setImmediate(() => this.flushOpen());
    this.res.writeHead(200, { ...SSE_HEADERS, ...this.options.headers });
    if (this.options.paddingBytes > 0) {
      this.res.write(`:${' '.repeat(Math.max(0, this.options.paddingBytes - 3))}\n\n`);
    } else {
      this.res.flushHeaders();
    }
    if (this.options.heartbeatMs > 0) {
      this.heartbeat = setTimeout(() => this.beat(), this.options.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  /** Ends the cork of `open` exactly once: the socket may serve the next request of a keep-alive connection later. */
  private flushOpen(): void {
    if (!this.openCorked) return;
    this.openCorked = false;
    this.res.uncork();
  }

  private beat(): void {
    if (this.closed) return;
    this.res.write(HEARTBEAT);
    this.heartbeat?.refresh();
  }

  /** Runs `write` (several `writeEvent`s) and sends what it wrote in one socket write. */
  batch(write: () => void): void {
    this.res.cork();
    try {
      write();
    } finally {
      this.res.uncork();
    }
  }

  /** Writes one event given as its text (without the blank line). Returns false when the socket wants a drain. */
  writeEvent(text: string): boolean {
    if (this.closed) return true;
    this.heartbeat?.refresh();
    return this.res.write(`${text}\n\n`);
  }

  writeData(data: string): boolean {
    return this.writeEvent(`data: ${data}`);
  }

  /** Waits until the socket accepts more, or the client leaves. */
  async drain(): Promise<void> {
    if (this.closed || !this.res.writableNeedDrain) return;
    await Promise.race([once(this.res, 'drain'), once(this.res, 'close')]);
  }

  end(): void {
    clearTimeout(this.heartbeat);
    if (this.ended) return;
    this.ended = true;
    this.flushOpen();
    if (!this.res.destroyed && !this.res.writableEnded) this.res.end();
  }
}
