import type { ServerResponse } from 'node:http';
import { once } from 'node:events';

/**
 * The client side of a streamed answer. The pipeline writes an inbound protocol's stream events through it; the
 * writer frames them for the wire the client asked for (server-sent events, or one streamed JSON array), so the
 * route picks the framing and the pipeline never knows which one it writes.
 */
export interface StreamWriter {
  /** True once the client is gone or the stream was ended: nothing more is written. */
  readonly closed: boolean;
  /** Sends the status and headers, then whatever opens the body; the stream is committed to 200 from here. */
  open(): void;
  /** Runs `write` (several writes) and sends what it wrote in one socket write. */
  batch(write: () => void): void;
  /** Writes one event as the inbound protocol produced it (SSE event text, without its blank line). False when the socket wants a drain. */
  writeEvent(text: string): boolean;
  /** Writes one event that carries only `data`. False when the socket wants a drain. */
  writeData(data: string): boolean;
  /** True when the socket's buffer is full: wait for `drain()` before writing more. */
  readonly wantsDrain: boolean;
  /** Waits until the socket accepts more, or the client leaves. */
  drain(): Promise<void>;
  /** Closes the body (with whatever the framing needs last) and ends the response; safe to call twice. */
  end(): void;
}

export interface StreamWriterOptions {
  /** Size of a first filler, so buffering proxies flush at once (0 = none); framings that cannot carry one ignore it. */
  paddingBytes: number;
  /** Keep-alive interval while nothing else is written (0 = none). */
  heartbeatMs: number;
  headers?: Record<string, string>;
}

/** How a route asks for its framing: the pipeline calls it once, after failover, when the answer starts streaming. */
export type StreamWriterFactory = (res: ServerResponse, options: StreamWriterOptions) => StreamWriter;

/**
 * The response lifecycle every framing shares: headers and the opening bytes leave with the first batch of events, or
 * at the end of the event-loop turn that opened the stream when no batch came in it; the events of one upstream read
 * leave in one socket write (`batch`); a keep-alive the client's parser skips is written whenever the stream has been
 * silent for `heartbeatMs`. Subclasses only frame.
 */
export abstract class ResponseStreamWriter implements StreamWriter {
  private heartbeat: NodeJS.Timeout | undefined;
  private ended = false;
  private openCorked = false;

  constructor(
    protected readonly res: ServerResponse,
    private readonly heartbeatMs: number,
    /** Written as the keep-alive; must be something the framing's parser ignores. */
    private readonly keepAlive: string,
  ) {}

  get closed(): boolean {
    return this.ended || this.res.destroyed || this.res.writableEnded;
  }

  abstract open(): void;
  abstract writeEvent(text: string): boolean;
  abstract writeData(data: string): boolean;

  /**
   * Writes the head and `preamble` (or flushes the bare head) corked until the first batch or the next turn; the
   * heartbeat starts once they have left.
   */
  protected start(headers: Record<string, string>, preamble: string | Buffer): void {
    // One write for the headers, the preamble and the events already received, instead of one each: on loopback each
    // socket write is a system call that wakes the client.
    this.res.cork();
    this.openCorked = true;
    setImmediate(() => this.flushOpen());
    this.res.writeHead(200, headers);
    if (preamble.length > 0) {
      this.res.write(preamble);
    } else {
      this.res.flushHeaders();
    }
  }

  /**
   * Ends the cork of `start` exactly once (the socket may serve the next request of a keep-alive connection later),
   * then starts the heartbeat: after the first events have gone, not before them, as nothing is silent yet.
   */
  private flushOpen(): void {
    if (!this.openCorked) return;
    this.openCorked = false;
    this.res.uncork();
    if (this.heartbeatMs > 0 && !this.ended) {
      this.heartbeat = setTimeout(() => this.beat(), this.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  private beat(): void {
    if (this.closed) return;
    this.res.write(this.keepAlive);
    this.heartbeat?.refresh();
  }

  /** Writes framed bytes unless the stream is closed, and holds the heartbeat off. */
  protected send(bytes: string): boolean {
    if (this.closed) return true;
    this.heartbeat?.refresh();
    return this.res.write(bytes);
  }

  /** Runs `write` corked; the first batch also ends the cork of `start`, so the head leaves with its events at once. */
  batch(write: () => void): void {
    this.res.cork();
    try {
      write();
    } finally {
      this.res.uncork();
      this.flushOpen();
    }
  }

  get wantsDrain(): boolean {
    return !this.closed && this.res.writableNeedDrain;
  }

  async drain(): Promise<void> {
    if (!this.wantsDrain) return;
    await Promise.race([once(this.res, 'drain'), once(this.res, 'close')]);
  }

  end(): void {
    this.finish(undefined);
  }

  /** Ends the response once, with `last` as its final bytes when the client is still there. */
  protected finish(last: string | undefined): void {
    clearTimeout(this.heartbeat);
    if (this.ended) return;
    this.ended = true;
    this.flushOpen();
    if (!this.res.destroyed && !this.res.writableEnded) {
      if (last === undefined) this.res.end();
      else this.res.end(last);
    }
  }
}
