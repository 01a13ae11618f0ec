import { describe, expect, it } from 'vitest';
import { readSse, type SseEvent } from '../../../src-renderer/src/lib/sse';

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(chunks: (string | Uint8Array)[]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(streamOf(chunks))) events.push(event);
  return events;
}

describe('readSse', () => {
  it('parses events split at awkward places, skipping comments', async () => {
    const events = await collect([': padding\n\nda', 'ta: {"a":1}\n', '\nevent: request\ndata: x\r\n\r', '\ndata: [DONE]\n\n']);
    expect(events).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'request', data: 'x' },
      { event: 'message', data: '[DONE]' },
    ]);
  });

  it('joins multi-line data and decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo\ndata: wörld\n\n');
    const events = await collect([bytes.slice(0, 8), bytes.slice(8, 20), bytes.slice(20)]);
    expect(events).toEqual([{ event: 'message', data: 'héllo\nwörld' }]);
  });

  it('emits a final event without a trailing blank line', async () => {
    expect(await collect(['data: last'])).toEqual([{ event: 'message', data: 'last' }]);
  });
});
