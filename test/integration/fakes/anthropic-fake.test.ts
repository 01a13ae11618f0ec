/**
 * Checks the Anthropic fake against the official `@anthropic-ai/sdk`, so gateway tests built on the fake exercise
 * the wire format a real Anthropic client understands (the SDK's MessageStream rebuilds the Message from events).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { startAnthropicFake, type AnthropicFake } from '../../support/fakes/anthropic.js';

let fake: AnthropicFake;
const client = (apiKey = 'anthropic-secret-1') => new Anthropic({ apiKey, baseURL: fake.url, maxRetries: 0 });

beforeAll(async () => {
  fake = await startAnthropicFake({ chunkDelayMs: 15 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.setOptions({ reply: undefined, chunkDelayMs: 15 });
  fake.requests.length = 0;
});

describe('Anthropic fake', () => {
  it('answers a Message with text, tool_use and the usage the test asked for', async () => {
    fake.setOptions({ reply: () => ({ content: 'Let me check.', toolUses: [{ id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }], usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 3, cache_creation_input_tokens: 2 } }) });
    const message = await client().messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'weather?' }] });
    expect(message.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 3, cache_creation_input_tokens: 2 });
    const seen = fake.requests[0]!;
    expect(seen.headers['x-api-key']).toBe('anthropic-secret-1');
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
  });

  it('streams the real event sequence, spread in time, that the SDK assembles', async () => {
    fake.setOptions({ reply: () => ({ content: 'one two three four', toolUses: [{ id: 'toolu_2', name: 'lookup', input: { q: 'abc', n: 3 } }] }) });
    const stream = client().messages.stream({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] });
    const names: string[] = [];
    const arrivals: number[] = [];
    stream.on('streamEvent', (event) => {
      names.push(event.type);
      arrivals.push(performance.now());
    });
    const message = await stream.finalMessage();
    expect(names.slice(0, 2)).toEqual(['message_start', 'content_block_start']);
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(names.filter((n) => n === 'content_block_start')).toHaveLength(2);
    expect(message.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'one two three four' }),
      expect.objectContaining({ type: 'tool_use', id: 'toolu_2', name: 'lookup', input: { q: 'abc', n: 3 } }),
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(arrivals[arrivals.length - 1]! - arrivals[0]!).toBeGreaterThan((names.length - 1) * 15 * 0.7);
  });

  it('rejects a wrong key with 401 authentication_error', async () => {
    const err = await client('wrong').messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as APIError).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('rejects a tool_result that answers no tool_use of the previous turn', async () => {
    const err = await client()
      .messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'hi' }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('ends a stream with an error event the SDK raises', async () => {
    fake.setOptions({ reply: () => ({ content: 'a b c d e', errorAfterEvents: 4 }) });
    const stream = client().messages.stream({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String((err as Error).message)).toContain('Overloaded');
  });
});
