/**
 * Bytes → server-sent events, in two layers as the OpenAI SDK does it: a UTF-8 decoder that keeps characters split
 * across chunks, then a line splitter (CR, LF, CRLF, even when CR and LF arrive in different chunks) that cuts events
 * at blank lines. Each event keeps its text so the gateway forwards it without re-serialising.
 */

export interface SseEvent {
  /** The event's lines, LF-separated, without the terminating blank line. */
  text: string;
  /** The joined `data:` lines, or null when the event has none (a comment or keep-alive). */
  data: string | null;
  /** The `event:` field, when present. */
  event: string | null;
}

export class SseDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: Uint8Array): SseEvent[] {
    return this.take(this.decoder.decode(chunk, { stream: true }));
  }

  /** Ends the stream; returns a last event that had no terminating blank line. */
  end(): SseEvent[] {
    const events = this.take(this.decoder.decode() + '\n\n');
    this.buffer = '';
    return events;
  }

  private take(text: string): SseEvent[] {
    let buffer = this.buffer + text;
    if (buffer.includes('\r')) {
      // A trailing CR may be the first half of a CRLF split across chunks: keep it for the next push.
      const trailingCr = buffer.endsWith('\r');
      if (trailingCr) buffer = buffer.slice(0, -1);
      buffer = buffer.replace(/\r\n?/g, '\n') + (trailingCr ? '\r' : '');
    }
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      // Extra blank lines between events (any number, even an odd one) dispatch nothing and are not part of the next
      // event's text: `start` is always at the start of a line, so an LF there is a blank line.
      while (buffer.charCodeAt(start) === 10) start++;
      const end = buffer.indexOf('\n\n', start);
      if (end < 0) break;
      const eventText = buffer.slice(start, end);
      start = end + 2;
      events.push(parseEvent(eventText));
    }
    this.buffer = buffer.slice(start);
    return events;
  }
}

function parseEvent(text: string): SseEvent {
  let data: string | null = null;
  let event: string | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('data:')) {
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      data = data === null ? value : `${data}\n${value}`;
    } else if (line.startsWith('event:')) {
      event = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
    }
  }
  return { text, data, event };
}
