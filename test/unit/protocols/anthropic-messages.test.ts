import { describe, expect, it } from 'vitest';
import { anthropicInbound, parseMessagesRequest, toIRRequest, toMessage } from '../../../src-gateway/protocols/anthropic-messages.js';
import { anthropicUsageOf, irUsageOf } from '../../../src-gateway/protocols/anthropic-wire.js';
import type { IRChunk, IRResponse } from '../../../src-gateway/protocols/ir.js';

const ctx = { requestId: 'req_abc123', model: 'gpt-4o-mini', includeUsage: false };
const base = { model: 'gpt-4o-mini', max_tokens: 100 };
const ir = (body: Record<string, unknown>) => toIRRequest(parseMessagesRequest({ ...base, ...body }));

describe('parseMessagesRequest', () => {
  const reject = (body: unknown, options?: { maxTokensOptional?: boolean }) => {
    try {
      parseMessagesRequest(body, options);
    } catch (err) {
      return err as { code: string; message: string; param: string | null };
    }
    throw new Error('expected a rejection');
  };

  it('requires model, max_tokens and messages, in Anthropic wording', () => {
    expect(reject({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).toMatchObject({ code: 'invalid_request', message: 'max_tokens: Field required', param: 'max_tokens' });
    expect(reject({ max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })).toMatchObject({ param: 'model' });
    expect(reject({ ...base, messages: [] })).toMatchObject({ param: 'messages' });
    expect(reject('text')).toMatchObject({ code: 'invalid_request' });
    expect(reject([])).toMatchObject({ code: 'invalid_request' });
    // count_tokens has no max_tokens.
    expect(parseMessagesRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, { maxTokensOptional: true }).model).toBe('m');
  });

  it('names the field inside a content block rather than the whole union', () => {
    expect(reject({ ...base, messages: [{ role: 'user', content: [{ type: 'text' }] }] }).param).toBe('messages[0].content[0].text');
    expect(reject({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', data: 'x' } }] }] }).param).toBe('messages[0].content[0].source.media_type');
    expect(reject({ ...base, messages: [{ role: 'user', content: [{ type: 'video' }] }] }).param).toBe('messages[0].content[0].type');
    expect(reject({ ...base, messages: [{ role: 'system', content: 'x' }] }).param).toBe('messages[0].role');
    expect(reject({ ...base, messages: [{ role: 'user', content: 'x' }], temperature: 1.5 }).param).toBe('temperature');
    // A field of the wrong type is not reported as missing.
    expect(reject({ ...base, messages: [{ role: 'user', content: 'x' }], stream: 'yes' }).message).toBe('stream: Invalid input: expected boolean, received string');
    expect(reject({ ...base, messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'tool' } }).param).toBe('tool_choice.name');
    expect(reject({ ...base, messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'web_search', type: 'web_search_20250305' }] }).param).toBe('tools[0].input_schema');
  });
});

describe('toIRRequest', () => {
  it('maps system, sampling, stop sequences, metadata and stream; leaves Anthropic-only knobs behind', () => {
    expect(ir({ system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], temperature: 0.3, top_p: 0.8, top_k: 5, stop_sequences: ['X'], metadata: { user_id: 'u7' }, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 } })).toEqual({
      model: 'gpt-4o-mini',
      max_tokens: 100,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }],
      temperature: 0.3,
      top_p: 0.8,
      stop: ['X'],
      user: 'u7',
      stream: true,
    });
  });

  it('joins system blocks, or keeps them as parts with their cache_control', () => {
    expect(ir({ system: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }], messages: [{ role: 'user', content: 'x' }] }).messages[0]).toEqual({ role: 'system', content: 'A\n\nB' });
    expect(ir({ system: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'x' }] }).messages[0]).toEqual({
      role: 'system',
      content: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }],
    });
  });

  it('turns tool_use into tool calls and tool_result into tool messages placed before the user text', () => {
    const out = ir({
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 's' }, { type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'tu1', name: 'w', input: { city: 'Paris' } }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'also this' },
            { type: 'tool_result', tool_use_id: 'tu1', content: [{ type: 'text', text: '22' }, { type: 'text', text: 'C' }, { type: 'image', source: { type: 'url', url: 'https://x.test/chart.png' } }] },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'tu1', type: 'function', function: { name: 'w', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'tu1', content: '22C' },
      { role: 'user', content: [{ type: 'text', text: 'also this' }, { type: 'image_url', image_url: { url: 'https://x.test/chart.png' } }] },
    ]);
  });

  it('turns base64 images into data URLs', () => {
    const out = ir({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } }] }] });
    expect(out.messages[0]).toEqual({ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } }] });
  });

  it('maps tools and each tool_choice', () => {
    const tools = [{ name: 'w', description: 'weather', input_schema: { type: 'object', properties: {} } }];
    const msg = [{ role: 'user', content: 'x' }];
    expect(ir({ messages: msg, tools }).tools).toEqual([{ type: 'function', function: { name: 'w', description: 'weather', parameters: { type: 'object', properties: {} } } }]);
    expect(ir({ messages: msg, tools, tool_choice: { type: 'auto' } }).tool_choice).toBe('auto');
    expect(ir({ messages: msg, tools, tool_choice: { type: 'any' } }).tool_choice).toBe('required');
    expect(ir({ messages: msg, tools, tool_choice: { type: 'none' } }).tool_choice).toBe('none');
    expect(ir({ messages: msg, tools, tool_choice: { type: 'tool', name: 'w', disable_parallel_tool_use: true } })).toMatchObject({
      tool_choice: { type: 'function', function: { name: 'w' } },
      parallel_tool_calls: false,
    });
  });
});

describe('toMessage', () => {
  const answer = (message: Record<string, unknown>, finish: string, usage?: Record<string, unknown>): IRResponse =>
    ({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini-2024-07-18', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }], usage }) as IRResponse;

  it('writes a Message with text and tool_use blocks, the stop reason and usage without the cache in input_tokens', () => {
    const message = toMessage(
      answer({ content: 'Sure.', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, 'tool_calls', {
        prompt_tokens: 1000,
        completion_tokens: 50,
        total_tokens: 1050,
        prompt_tokens_details: { cached_tokens: 200 },
      }),
      ctx,
    );
    expect(message).toEqual({
      id: 'msg_abc123',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o-mini',
      content: [{ type: 'text', text: 'Sure.' }, { type: 'tool_use', id: 'c1', name: 'f', input: { a: 1 } }],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 800, output_tokens: 50, cache_creation_input_tokens: 0, cache_read_input_tokens: 200 },
    });
  });

  it('maps finish reasons and survives broken tool arguments', () => {
    expect(toMessage(answer({ content: 'x' }, 'length'), ctx).stop_reason).toBe('max_tokens');
    expect(toMessage(answer({ content: 'x' }, 'content_filter'), ctx).stop_reason).toBe('refusal');
    expect(toMessage(answer({ content: 'x' }, 'stop'), ctx).stop_reason).toBe('end_turn');
    expect(toMessage(answer({ content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{bad' } }] }, 'tool_calls'), ctx).content).toEqual([{ type: 'tool_use', id: 'c', name: 'f', input: {} }]);
  });

  it('round-trips usage with the Anthropic provider mapping', () => {
    const usage = { input_tokens: 10, output_tokens: 3, cache_creation_input_tokens: 4, cache_read_input_tokens: 6 };
    expect(anthropicUsageOf(irUsageOf(usage))).toEqual(usage);
  });
});

describe('Anthropic stream writer', () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): IRChunk => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] }) as IRChunk;
  const parse = (events: string[]) =>
    events.map((e) => {
      const [name, data] = e.split('\n');
      return { name: name!.replace('event: ', ''), data: JSON.parse(data!.replace('data: ', '')) as Record<string, any> };
    });

  it('opens with message_start and ping, switches blocks between text and tool calls, ends with message_delta and message_stop', () => {
    const writer = anthropicInbound.stream(ctx);
    const events = parse([
      ...writer.chunk({ id: 'c', object: 'chat.completion.chunk', created: 0, model: '', choices: [] }),
      ...writer.chunk(chunk({ role: 'assistant', content: '' })),
      ...writer.chunk(chunk({ content: 'Let me ' })),
      ...writer.chunk(chunk({ content: 'check.' })),
      ...writer.chunk(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'w', arguments: '' } }] })),
      ...writer.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] })),
      ...writer.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] })),
      ...writer.chunk(chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'v', arguments: '{}' } }] })),
      ...writer.chunk(chunk({}, 'tool_calls')),
      ...writer.chunk({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39, prompt_tokens_details: { cached_tokens: 10 } } }),
      ...writer.done(),
    ]);
    expect(events.map((e) => e.name)).toEqual([
      'message_start', 'ping',
      'content_block_start', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'content_block_start', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'content_block_start', 'content_block_delta',
      'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(events.every((e) => e.data.type === e.name)).toBe(true);
    expect(events[0]!.data.message).toMatchObject({ id: 'msg_abc123', type: 'message', role: 'assistant', model: 'gpt-4o-mini', content: [] });
    expect(events[2]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(events[3]!.data).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } });
    expect(events[6]!.data).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_1', name: 'w', input: {} } });
    expect(events[7]!.data).toEqual({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } });
    expect(events[10]!.data.content_block).toMatchObject({ type: 'tool_use', id: 'call_2', name: 'v' });
    expect(events[10]!.data.index).toBe(2);
    expect(events[13]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 20, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 10 },
    });
  });

  it('keeps one tool block when an upstream repeats the id on every piece', () => {
    const writer = anthropicInbound.stream(ctx);
    const names = parse([
      ...writer.chunk(chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '{' } }] })),
      ...writer.chunk(chunk({ tool_calls: [{ index: 0, id: 'a', function: { arguments: '}' } }] })),
      ...writer.done(),
    ]).map((e) => e.name);
    expect(names.filter((n) => n === 'content_block_start')).toHaveLength(1);
  });

  it('still writes a whole message for an empty stream', () => {
    const writer = anthropicInbound.stream(ctx);
    expect(parse(writer.done()).map((e) => e.name)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
  });

  it('writes failures as an Anthropic error event', () => {
    const writer = anthropicInbound.stream(ctx);
    expect(writer.error('The upstream stream ended before it was complete.', 'upstream_error')).toEqual([
      'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"The upstream stream ended before it was complete."}}',
    ]);
    expect(writer.error('x', 'made_up_code')[0]).toContain('"type":"api_error"');
  });
});
