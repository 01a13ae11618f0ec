import type { ServerResponse } from 'node:http';
import { ResponseStreamWriter, type StreamWriterFactory, type StreamWriterOptions } from './stream-writer.js';

/** Headers of a streamed JSON array: chunked JSON that no cache or proxy should hold back. */
export const JSON_ARRAY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/** Google's framing: `[` opens, `\r\n,\r\n` between elements, `\r\n]` closes. */
const OPEN = '[';
const SEPARATOR = '\r\n,\r\n';
const CLOSE = '\r\n]';
/** JSON whitespace: valid anywhere between the array's tokens, skipped by every parser. */
const KEEP_ALIVE = '\n';
const DATA_FIELD = 'data: ';

/**
 * Streams one JSON array over a chunked `application/json` response, the way Google's REST API answers
 * `streamGenerateContent` without `alt=sse`: each element goes to the socket as soon as it is written, and the body is
 * valid JSON once `end` has run, whatever happened in between (an error is an element like any other).
 *
 * It takes the events of a protocol whose SSE form carries only `data` (Gemini's), so an element is exactly what the
 * SSE form sends as the `data` of one event. There is no padding (it would not be JSON); the keep-alive is whitespace,
 * and the `[` leaves with the headers so a client reading the array sees it first.
 */
export class JsonArrayWriter extends ResponseStreamWriter {
  private elements = 0;

  constructor(
    res: ServerResponse,
    private readonly options: StreamWriterOptions,
  ) {
    super(res, options.heartbeatMs, KEEP_ALIVE);
  }

  open(): void {
    this.start({ ...JSON_ARRAY_HEADERS, ...this.options.headers }, OPEN);
  }

  /**
   * Writes a `data: …` event's data as the next element. A JSON array has no place for event names, ids or comments:
   * events carrying them are a caller's mistake, refused rather than silently dropped.
   */
  writeEvent(text: string): boolean {
    if (!text.startsWith(DATA_FIELD) || text.includes('\n')) {
      throw new TypeError('A JSON array stream carries single-line data events only.');
    }
    return this.writeData(text.slice(DATA_FIELD.length));
  }

  /** Writes `data` (one JSON value) as the next element. Returns false when the socket wants a drain. */
  writeData(data: string): boolean {
    return this.send(this.elements++ === 0 ? data : SEPARATOR + data);
  }

  /** Closes the array and ends the response. */
  override end(): void {
    this.finish(CLOSE);
  }
}

/** The JSON-array framing, for Gemini `streamGenerateContent` calls made without `alt=sse`. */
export const createJsonArrayWriter: StreamWriterFactory = (res, options) => new JsonArrayWriter(res, options);
