import { describe, expect, it } from 'vitest';
import { anthropicMessagesUrl, anthropicProvider } from '../../../src-gateway/providers/anthropic/api.js';
import { toMessagesRequest } from '../../../src-gateway/providers/anthropic/messages-request.js';
import { createMessagesStreamMapper, fromMessage } from '../../../src-gateway/providers/anthropic/messages-response.js';
import { GatewayError } from '../../../src-gateway/errors.js';
import type { IRChunk } from '../../../src-gateway/protocols/ir.js';
import type { Deployment } from '../../../src-gateway/db/deployments-repository.js';
import type { SseEvent } from '../../../src-gateway/streaming/sse-decoder.js';

const opts = { model: 'claude-x', maxOutputTokens: 64000 };
const user = (content: unknown) => ({ role: 'user', content });

describe('toMessagesRequest', () => {
  it('lifts system and developer messages into `system` and keeps the rest as turns', () => {
    const out = toMessagesRequest({ messages: [{ role: 'system', content: 'A' }, { role: 'developer', content: [{ type: 'text', text: 'B' }] }, user('hi')] }, opts);
    expect(out).toEqual({ model: 'claude-x', max_tokens: 64000, system: 'A\n\nB', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
  });

  it('keeps system blocks (not a joined string) when one carries cache_control', () => {
    const out = toMessagesRequest({ messages: [{ role: 'system', content: [{ type: 'text', text: 'long', cache_control: { type: 'ephemeral' } }] }, user('q')] }, opts);
    expect(out.system).toEqual([{ type: 'text', text: 'long', cache_control: { type: 'ephemeral' } }]);
  });

  it('takes max_tokens from max_completion_tokens, then max_tokens, then the catalog cap, then 4096', () => {
    const base = { messages: [user('x')] };
    expect(toMessagesRequest({ ...base, max_completion_tokens: 10, max_tokens: 20 }, opts).max_tokens).toBe(10);
    expect(toMessagesRequest({ ...base, max_tokens: 20 }, opts).max_tokens).toBe(20);
    expect(toMessagesRequest(base, opts).max_tokens).toBe(64000);
    expect(toMessagesRequest(base, { model: 'm', maxOutputTokens: null }).max_tokens).toBe(4096);
  });

  it('maps sampling, stop, user and stream; drops OpenAI-only fields', () => {
    const out = toMessagesRequest(
      { messages: [user('x')], temperature: 1.7, top_p: 0.9, stop: ['a', 'b'], user: 'u1', stream: true, stream_options: { include_usage: true }, n: 1, response_format: { type: 'text' }, reasoning_effort: 'low' },
      opts,
    );
    expect(out).toEqual({ model: 'claude-x', max_tokens: 64000, messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], temperature: 1, top_p: 0.9, stop_sequences: ['a', 'b'], metadata: { user_id: 'u1' }, stream: true });
    expect(toMessagesRequest({ messages: [user('x')], stop: 'END' }, opts).stop_sequences).toEqual(['END']);
  });

  it('turns assistant tool calls into tool_use blocks and tool messages into one user turn of tool_result blocks', () => {
    const out = toMessagesRequest(
      {
        messages: [
          user('weather in Paris and Rome?'),
          { role: 'assistant', content: 'Checking.', tool_calls: [
            { id: 't1', type: 'function', function: { name: 'w', arguments: '{"city":"Paris"}' } },
            { id: 't2', type: 'function', function: { name: 'w', arguments: '' } },
          ] },
          { role: 'tool', tool_call_id: 't1', content: '22C' },
          { role: 'tool', tool_call_id: 't2', content: [{ type: 'text', text: '27C' }] },
          user('thanks'),
        ],
      },
      opts,
    );
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather in Paris and Rome?' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 't1', name: 'w', input: { city: 'Paris' } }, { type: 'tool_use', id: 't2', name: 'w', input: {} }] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 't1', content: '22C' },
        { type: 'tool_result', tool_use_id: 't2', content: [{ type: 'text', text: '27C' }] },
        { type: 'text', text: 'thanks' },
      ] },
    ]);
  });

  it('drops empty text (Anthropic refuses empty blocks) and skips turns left empty', () => {
    const out = toMessagesRequest({ messages: [user('a'), { role: 'assistant', content: '' }, user([{ type: 'text', text: '' }, { type: 'text', text: 'b' }])] }, opts);
    expect(out.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }]);
  });

  it('sends data URLs as base64 image blocks and http URLs as url blocks; refuses other URLs', () => {
    const out = toMessagesRequest({ messages: [user([{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }, { type: 'image_url', image_url: { url: 'http://x.test/a.png', detail: 'low' } }])] }, opts);
    expect((out.messages as { content: unknown }[])[0]!.content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
      { type: 'image', source: { type: 'url', url: 'http://x.test/a.png' } },
    ]);
    const bad = () => toMessagesRequest({ messages: [user([{ type: 'image_url', image_url: { url: 'ftp://x' } }])] }, opts);
    expect(bad).toThrow(GatewayError);
    expect(bad).toThrow(expect.objectContaining({ code: 'invalid_request', param: 'messages[0].content[0].image_url.url' }));
  });

  it('refuses what Anthropic cannot take with invalid_request naming the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ messages: [user([{ type: 'input_audio', input_audio: {} }])] }, 'messages[0].content[0].type'],
      [{ messages: [{ role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] }, 'messages[0].tool_calls[0].function.arguments'],
      [{ messages: [{ role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] }, 'messages[0].tool_calls[0].function.arguments'],
      [{ messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
      [{ messages: [{ role: 'function', content: 'x' }] }, 'messages[0].role'],
      [{ messages: [user('x')], tools: [{ type: 'custom', custom: {} }] }, 'tools[0].type'],
      [{}, 'messages'],
    ];
    for (const [body, param] of cases) expect(() => toMessagesRequest(body, opts), param).toThrow(expect.objectContaining({ code: 'invalid_request', param }));
  });

  it('maps tools and every tool_choice, with parallel_tool_calls:false as disable_parallel_tool_use', () => {
    const tools = [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }, { type: 'function', function: { name: 'g' } }];
    const base = { messages: [user('x')], tools };
    expect(toMessagesRequest(base, opts).tools).toEqual([
      { name: 'f', description: 'd', input_schema: { type: 'object', properties: { a: { type: 'string' } } } },
      { name: 'g', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(toMessagesRequest(base, opts).tool_choice).toBeUndefined();
    expect(toMessagesRequest({ ...base, tool_choice: 'auto' }, opts).tool_choice).toEqual({ type: 'auto' });
    expect(toMessagesRequest({ ...base, tool_choice: 'required' }, opts).tool_choice).toEqual({ type: 'any' });
    expect(toMessagesRequest({ ...base, tool_choice: 'none' }, opts).tool_choice).toEqual({ type: 'none' });
    expect(toMessagesRequest({ ...base, tool_choice: { type: 'function', function: { name: 'g' } } }, opts).tool_choice).toEqual({ type: 'tool', name: 'g' });
    expect(toMessagesRequest({ ...base, parallel_tool_calls: false }, opts).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    // tool_choice without tools is not sent: Anthropic refuses it.
    expect(toMessagesRequest({ messages: [user('x')], tool_choice: 'auto' }, opts).tool_choice).toBeUndefined();
  });
});

describe('anthropic provider call', () => {
  const deployment = { endpoint: 'https://api.anthropic.com/', deployment: 'claude-sonnet-4-5-20250929' } as Deployment;

  it('posts to ENDPOINT/v1/messages with x-api-key and anthropic-version', () => {
    const call = anthropicProvider.chatCompletions!({ deployment, secret: 'sk-ant', body: { messages: [user('x')] }, maxOutputTokens: 100 });
    expect(call.url).toBe('https://api.anthropic.com/v1/messages');
    expect(call.headers).toEqual({ 'content-type': 'application/json', 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' });
    expect(JSON.parse(call.body as string)).toMatchObject({ model: 'claude-sonnet-4-5-20250929', max_tokens: 100 });
    expect(anthropicMessagesUrl('http://127.0.0.1:9/v1')).toBe('http://127.0.0.1:9/v1/messages');
  });

  it('probes with a one-token call', () => {
    expect(JSON.parse(anthropicProvider.probe!({ deployment, secret: 's' }).body as string)).toMatchObject({ max_tokens: 1, messages: [{ role: 'user' }] });
  });
});

describe('fromMessage', () => {
  const message = (extra: Record<string, unknown>) => ({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 }, ...extra });

  it('joins text, maps tool_use to tool calls with JSON arguments and folds the cache into prompt_tokens', () => {
    const ir = fromMessage(
      message({
        content: [{ type: 'thinking', thinking: 'hmm' }, { type: 'text', text: 'A' }, { type: 'text', text: 'B' }, { type: 'tool_use', id: 'tu', name: 'f', input: { x: 1 } }],
        stop_reason: 'tool_use',
        usage: { input_tokens: 100, output_tokens: 7, cache_read_input_tokens: 50, cache_creation_input_tokens: 25 },
      }),
      'claude-sonnet-4-5',
    );
    expect(ir).toMatchObject({
      id: 'msg_1',
      object: 'chat.completion',
      model: 'claude-sonnet-4-5',
      choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: 'AB', tool_calls: [{ id: 'tu', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] } }],
      usage: { prompt_tokens: 175, completion_tokens: 7, total_tokens: 182, prompt_tokens_details: { cached_tokens: 50, cache_write_tokens: 25 } },
    });
  });

  it('maps stop reasons and leaves content null for a tool-only answer', () => {
    const finish = (stop_reason: string | null) => fromMessage(message({ stop_reason }), 'm').choices[0]!.finish_reason;
    expect([finish('end_turn'), finish('stop_sequence'), finish('max_tokens'), finish('tool_use'), finish('refusal'), finish('pause_turn'), finish(null)]).toEqual(['stop', 'stop', 'length', 'tool_calls', 'content_filter', 'stop', 'stop']);
    expect(fromMessage(message({ content: [{ type: 'tool_use', id: 'a', name: 'f', input: {} }] }), 'm').choices[0]!.message.content).toBeNull();
    expect(fromMessage(message({ content: [] }), 'm').choices[0]!.message.content).toBe('');
  });

  it('throws on something that is not a Message', () => {
    expect(() => fromMessage({ type: 'error' }, 'm')).toThrow();
    expect(() => fromMessage(null, 'm')).toThrow();
  });
});

describe('Messages stream mapper', () => {
  const ev = (type: string, data: Record<string, unknown>): SseEvent => {
    const json = JSON.stringify({ type, ...data });
    return { text: `event: ${type}\ndata: ${json}`, data: json, event: type };
  };
  const run = (events: SseEvent[]) => {
    const mapper = createMessagesStreamMapper('claude-sonnet-4-5');
    const chunks: IRChunk[] = [];
    for (const e of events) chunks.push(...mapper.map(e));
    chunks.push(...mapper.end());
    return { chunks, complete: mapper.complete };
  };
  const start = ev('message_start', { message: { id: 'msg_s', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 1 } } });

  it('maps text, a tool call (id and name first, then argument pieces), the finish and the usage chunk', () => {
    const { chunks, complete } = run([
      start,
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ev('ping', {}),
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
      ev('content_block_stop', { index: 0 }),
      ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'tu_1', name: 'f', input: {} } }),
      ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
      ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } }),
      ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '1}' } }),
      ev('content_block_stop', { index: 1 }),
      ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 12 } }),
      ev('message_stop', {}),
    ]);
    expect(complete).toBe(true);
    expect(chunks.every((c) => c.id === 'msg_s' && c.model === 'claude-sonnet-4-5' && c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => (c.choices.length ? { delta: c.choices[0]!.delta, finish: c.choices[0]!.finish_reason } : { usage: c.usage }))).toEqual([
      { delta: { role: 'assistant', content: '' }, finish: null },
      { delta: { content: 'Hi' }, finish: null },
      { delta: { tool_calls: [{ index: 0, id: 'tu_1', type: 'function', function: { name: 'f', arguments: '' } }] }, finish: null },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }, finish: null },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] }, finish: null },
      { delta: {}, finish: 'tool_calls' },
      { usage: { prompt_tokens: 15, completion_tokens: 12, total_tokens: 27, prompt_tokens_details: { cached_tokens: 5, cache_write_tokens: 0 } } },
    ]);
  });

  it('numbers tool calls on their own, whatever their content block index', () => {
    const { chunks } = run([
      start,
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'a', name: 'f', input: {} } }),
      ev('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'b', name: 'g', input: {} } }),
      ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } }),
    ]);
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls.map((c) => [c.index, c.id ?? c.function?.arguments])).toEqual([[0, 'a'], [1, 'b'], [1, '{}']]);
  });

  it('stays incomplete on an error event or a stream cut before message_stop', () => {
    expect(run([start, ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'x' } }), ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })]).complete).toBe(false);
    expect(run([start, ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } })]).complete).toBe(false);
  });

  it('ignores comments, malformed frames and thinking deltas; takes usage totals from message_delta', () => {
    const { chunks } = run([
      { text: ': hb', data: null, event: null },
      { text: 'data: {oops', data: '{oops', event: null },
      start,
      ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }),
      ev('message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { input_tokens: 20, cache_creation_input_tokens: 4, output_tokens: 9 } }),
      ev('message_stop', {}),
    ]);
    expect(chunks).toHaveLength(3);
    expect(chunks[1]!.choices[0]!.finish_reason).toBe('length');
    expect(chunks[2]!.usage).toMatchObject({ prompt_tokens: 29, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 5, cache_write_tokens: 4 } });
  });
});
