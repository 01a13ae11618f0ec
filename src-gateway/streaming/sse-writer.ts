import type { ServerResponse } from 'node:http';
import { ResponseStreamWriter, type StreamWriterFactory, type StreamWriterOptions } from './stream-writer.js';

/** `paddingBytes` is the size of the SSE comment sent first; the heartbeat is an SSE comment. */
export type SseWriterOptions = StreamWriterOptions;

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  'alt-svc': 'clear',
  connection: 'keep-alive',
};

const HEARTBEAT = ': keep-alive\n\n';

const paddings = new Map<number, Buffer>();
/** The padding comment of `bytes` bytes (none for 0), built once per size: every stream sends the same bytes. */
function paddingComment(bytes: number): Buffer {
  let padding = paddings.get(bytes);
  if (!padding) {
    padding = bytes > 0 ? Buffer.from(`:${' '.repeat(Math.max(0, bytes - 3))}\n\n`) : Buffer.alloc(0);
    paddings.set(bytes, padding);
  }
  return padding;
}

/**
 * Writes an SSE response: headers, the padding comment, events as they come, comment heartbeats whenever the stream
 * has been silent for `heartbeatMs`. Never holds an event back: the events of one upstream read leave in one socket
 * write (`batch`), and the headers and padding leave with the first of them (or at the end of the turn that opened
 * the stream, when no event came in it).
 */
export class SseWriter extends ResponseStreamWriter {
  constructor(
    res: ServerResponse,
    private readonly options: SseWriterOptions,
  ) {
    super(res, options.heartbeatMs, HEARTBEAT);
  }

  open(): void {
    this.start({ ...SSE_HEADERS, ...this.options.headers }, paddingComment(this.options.paddingBytes));
  }

  /** Writes one event given as its text (without the blank line). Returns false when the socket wants a drain. */
  writeEvent(text: string): boolean {
    return this.send(`${text}\n\n`);
  }

  writeData(data: string): boolean {
    return this.writeEvent(`data: ${data}`);
  }
}

/** The SSE framing, for routes whose clients read server-sent events (every chat route by default). */
export const createSseWriter: StreamWriterFactory = (res, options) => new SseWriter(res, options);
