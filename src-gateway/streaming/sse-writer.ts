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
 * has been silent for `heartbeatMs`. Never buffers: every event is one socket write.
 */
export class SseWriter {
  private heartbeat: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseWriterOptions,
  ) {}

  /** True once the client is gone or the stream was ended. */
  get closed(): boolean {
    return this.ended || this.res.destroyed || this.res.writableEnded;
  }

  open(): void {
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

  private beat(): void {
    if (this.closed) return;
    this.res.write(HEARTBEAT);
    this.heartbeat?.refresh();
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
    if (!this.res.destroyed && !this.res.writableEnded) this.res.end();
  }
}
