/** One Server-Sent Event: its `event` name (default `message`) and its `data` lines joined with `\n`. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Reads Server-Sent Events from a fetch body as they arrive: bytes → text (UTF-8 split across chunks is fine) →
 * lines (LF, CRLF or CR) → events. Comments (`: heartbeat`) are skipped. Ends when the body ends or `signal` aborts.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const abort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', abort, { once: true });
  let buffer = '';
  let event = '';
  let data: string[] = [];
  /** Applies one line; returns the event a blank line completes. */
  const takeLine = (line: string): SseEvent | undefined => {
    if (line === '') {
      const done = data.length > 0 ? { event: event || 'message', data: data.join('\n') } : undefined;
      event = '';
      data = [];
      return done;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const raw = colon === -1 ? '' : line.slice(colon + 1);
    const text = raw.startsWith(' ') ? raw.slice(1) : raw;
    if (field === 'data') data.push(text);
    else if (field === 'event') event = text;
    return undefined;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let match: RegExpExecArray | null;
      // A lone trailing CR may be the first half of CRLF: wait for the next chunk before using it.
      while ((match = /\r\n|\n|\r(?=[^\n])/.exec(buffer))) {
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        const complete = takeLine(line);
        if (complete) yield complete;
      }
    }
    // Lenient at the end of the body: an unterminated last line and event still count.
    buffer += decoder.decode();
    for (const line of buffer.split(/\r\n|\n|\r/)) {
      const complete = takeLine(line);
      if (complete) yield complete;
    }
    if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
  } finally {
    signal?.removeEventListener('abort', abort);
    reader.releaseLock();
  }
}
