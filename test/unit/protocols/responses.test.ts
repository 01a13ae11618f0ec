import { describe, expect, it } from 'vitest';
import { ResponseStream } from 'openai/lib/responses/ResponseStream';
import { GatewayError } from '../../../src-gateway/errors.js';
import { parseResponsesRequest, responsesInbound, toChatRequest, type ResponsesRequest } from '../../../src-gateway/protocols/responses.js';
import type { IRChunk, IRResponse, InboundStreamWriter } from '../../../src-gateway/protocols/ir.js';

const CTX = { requestId: 'req_abc123', model: 'gpt-4o-mini', includeUsage: false };

function rejection(body: unknown): GatewayError {
  try {
    parseResponsesRequest(body);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected the request to be refused');
}

const chatOf = (body: Record<string, unknown>) => toChatRequest(parseResponsesRequest({ model: 'gpt-4o-mini', ...body }));

describe('Responses request validation', () => {
  it.each([
    [{ model: 'gpt-4o-mini' }, 'input', /Missing required parameter: 'input'/],
    [{ input: 'hi' }, 'model', /Missing required parameter: 'model'/],
    [{ model: 'gpt-4o-mini', input: 42 }, 'input', /expected string or array/],
    [{ model: 'gpt-4o-mini', input: [] }, 'input', /Invalid 'input'/],
    [{ model: 'gpt-4o-mini', input: [{ type: 'web_search_call', id: 'ws_1' }] }, 'input[0].type', /'web_search_call' is not supported/],
    [{ model: 'gpt-4o-mini', input: [{ role: 'user', content: [{ type: 'input_text' }] }] }, 'input[0].content[0].text', /Missing required parameter/],
    [{ model: 'gpt-4o-mini', input: [{ role: 'robot', content: 'x' }] }, 'input[0].role', /Invalid 'input\[0\].role'/],
    [{ model: 'gpt-4o-mini', input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id', /Missing/],
    [{ model: 'gpt-4o-mini', input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type', /'web_search' is not supported/],
    [{ model: 'gpt-4o-mini', input: 'x', temperature: 3 }, 'temperature', /Invalid 'temperature'/],
    [{ model: 'gpt-4o-mini', input: 'x', max_output_tokens: 0 }, 'max_output_tokens', /Invalid/],
    [{ model: 'gpt-4o-mini', input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name', /Missing/],
    [{ model: 'gpt-4o-mini', input: 'x', previous_response_id: '' }, 'previous_response_id', /Invalid 'previous_response_id'/],
    [{ model: 'gpt-4o-mini', input: 'x', conversation: 'conv_1' }, 'conversation', /does not store conversations/],
    [{ model: 'gpt-4o-mini', input: 'x', background: true }, 'background', /not supported/],
  ])('refuses %j with param %s', (body, param, message) => {
    const err = rejection(body);
    expect(err.code).toBe('invalid_request');
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toMatch(message);
  });

  it('refuses a body that is not an object', () => {
    expect(rejection([1, 2]).message).toMatch(/JSON object/);
    expect(rejection(null).status).toBe(400);
  });

  it('accepts null for optional fields, as SDKs send them', () => {
    const parsed = parseResponsesRequest({ model: 'm', input: 'x', previous_response_id: null, instructions: null, tools: null, temperature: null, store: true });
    expect(parsed.input).toBe('x');
  });
});

describe('Responses request → IR (chat)', () => {
  it('turns a string input and instructions into a system and a user message', () => {
    const chat = chatOf({ input: 'Hello', instructions: 'Be brief.' });
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello' },
    ]);
    expect(chat).not.toHaveProperty('stream');
  });

  it('maps text and image parts, and assistant history as text', () => {
    const chat = chatOf({
      input: [
        { role: 'developer', content: [{ type: 'input_text', text: 'Rules.' }] },
        { role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' }] },
        { type: 'message', role: 'assistant', id: 'msg_1', status: 'completed', content: [{ type: 'output_text', text: 'A cat.', annotations: [] }] },
        { role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/a.png', detail: 'original' }] },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'developer', content: 'Rules.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] },
      { role: 'assistant', content: 'A cat.' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } }] },
    ]);
  });

  it('refuses images by file id and images in assistant turns, naming the part', () => {
    expect(() => chatOf({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1', detail: 'auto' }] }] })).toThrow(
      expect.objectContaining({ param: 'input[0].content[0].image_url' }),
    );
    expect(() => chatOf({ input: [{ role: 'assistant', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] })).toThrow(
      expect.objectContaining({ param: 'input[0].content[0]' }),
    );
    expect(() => chatOf({ input: [{ type: 'item_reference', id: 'msg_1' }] })).toThrow(expect.objectContaining({ param: 'input[0].type' }));
  });

  it('folds function calls into one assistant turn and answers them with tool messages', () => {
    const chat = chatOf({
      input: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '18C' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'see map' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      { role: 'tool', tool_call_id: 'call_2', content: 'see map' },
      // Chat tool messages carry only text: the image follows the run of tool answers.
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    ]);
  });

  it('maps flat function tools, tool_choice, reasoning, text format and limits', () => {
    const chat = chatOf({
      input: 'x',
      stream: true,
      tools: [{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: {} }, strict: true }],
      tool_choice: { type: 'function', name: 'get_weather' },
      parallel_tool_calls: false,
      reasoning: { effort: 'high', summary: 'auto' },
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
      max_output_tokens: 300,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u1',
      metadata: { a: 'b' },
      include: ['reasoning.encrypted_content'],
      truncation: 'auto',
    });
    expect(chat).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: {} }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      reasoning_effort: 'high',
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      verbosity: 'low',
      max_completion_tokens: 300,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u1',
    });
  });

  it('maps json_object and plain text formats, allowed_tools, and drops parallel_tool_calls without tools', () => {
    expect(chatOf({ input: 'x', text: { format: { type: 'json_object' } } }).response_format).toEqual({ type: 'json_object' });
    expect(chatOf({ input: 'x', text: { format: { type: 'text' } } })).not.toHaveProperty('response_format');
    expect(chatOf({ input: 'x', parallel_tool_calls: true })).not.toHaveProperty('parallel_tool_calls');
    const chat = chatOf({ input: 'x', tools: [{ type: 'function', name: 'a' }], tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'a' }] } });
    expect(chat.tool_choice).toEqual({ type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'a' } }] } });
  });
});

const REQUEST: ResponsesRequest = parseResponsesRequest({ model: 'gpt-4o-mini', input: 'hi', max_output_tokens: 50, tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }] });

const irAnswer = (message: IRResponse['choices'][number]['message'], finish: IRResponse['choices'][number]['finish_reason'] = 'stop'): IRResponse => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message, finish_reason: finish }],
  usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120, prompt_tokens_details: { cached_tokens: 40 }, completion_tokens_details: { reasoning_tokens: 5 } },
});

describe('IR answer → Response object', () => {
  const inbound = responsesInbound(REQUEST);

  it('answers text as a message item with output_text and Responses usage', () => {
    const response = inbound.response(irAnswer({ role: 'assistant', content: 'Hello!' }), CTX) as Record<string, any>;
    expect(response).toMatchObject({
      id: 'resp_abc123',
      object: 'response',
      created_at: 1_700_000_000,
      status: 'completed',
      model: 'gpt-4o-mini',
      error: null,
      incomplete_details: null,
      max_output_tokens: 50,
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: null }],
      usage: { input_tokens: 100, input_tokens_details: { cached_tokens: 40 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 120 },
    });
    expect(response.output).toEqual([
      { id: expect.stringMatching(/^msg_/), type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!', annotations: [], logprobs: [] }] },
    ]);
  });

  it('answers tool calls as function_call items, without an empty message', () => {
    const response = inbound.response(
      irAnswer({ role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] }, 'tool_calls'),
      CTX,
    ) as Record<string, any>;
    expect(response.output).toEqual([
      { id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'completed', call_id: 'call_9', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    ]);
  });

  it('marks an answer cut by the token limit incomplete', () => {
    const response = inbound.response(irAnswer({ role: 'assistant', content: 'Hel' }, 'length'), CTX) as Record<string, any>;
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.output[0].status).toBe('incomplete');
  });
});

const head = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
const delta = (d: IRChunk['choices'][number]['delta'], finish: IRChunk['choices'][number]['finish_reason'] = null): IRChunk => ({ ...head, choices: [{ index: 0, delta: d, finish_reason: finish }] });
const usageChunk: IRChunk = { ...head, choices: [], usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 } };

interface Event {
  name: string;
  data: Record<string, any>;
}

function run(chunks: IRChunk[], end: (w: InboundStreamWriter) => string[] = (w) => w.done()): { events: Event[] } {
  const writer = responsesInbound(REQUEST).stream(CTX);
  const texts = [...chunks.flatMap((c) => writer.chunk(c)), ...end(writer)];
  const events = texts.map((t) => {
    const [eventLine, dataLine] = t.split('\n');
    return { name: eventLine!.replace(/^event: /, ''), data: JSON.parse(dataLine!.replace(/^data: /, '')) };
  });
  return { events };
}

/** The SDK's own accumulator over the events (its readable-stream entry point takes one JSON event per line). */
function sdkFinal(events: Event[]) {
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(events.map((e) => JSON.stringify(e.data)).join('\n')));
      controller.close();
    },
  });
  return ResponseStream.fromReadableStream(body).finalResponse();
}

describe('IR chunks → Responses stream events', () => {
  it('writes text in the documented order with growing sequence numbers', async () => {
    const { events } = run([{ ...head, choices: [] }, delta({ role: 'assistant', content: '' }), delta({ content: 'Hel' }), delta({ content: 'lo' }), delta({}, 'stop'), usageChunk]);
    expect(events.map((e) => e.name)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.every((e) => e.name === e.data.type)).toBe(true);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    const itemId = events[2]!.data.item.id;
    expect(events[4]!.data).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0, delta: 'Hel', logprobs: [] });
    expect(events[6]!.data).toMatchObject({ item_id: itemId, text: 'Hello' });
    const completed = events[9]!.data.response;
    expect(completed).toMatchObject({ id: 'resp_abc123', status: 'completed', usage: { input_tokens: 10, output_tokens: 4, total_tokens: 14 } });
    expect(completed.output[0]).toMatchObject({ id: itemId, status: 'completed', content: [{ type: 'output_text', text: 'Hello' }] });
    const final = await sdkFinal(events);
    expect(final.output_text).toBe('Hello');
  });

  it('writes function calls as items with argument deltas, one item after another', async () => {
    const { events } = run([
      delta({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      delta({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      delta({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
      delta({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      delta({}, 'tool_calls'),
      usageChunk,
    ]);
    expect(events.map((e) => e.name).slice(2)).toEqual([
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[2]!.data.item).toMatchObject({ type: 'function_call', call_id: 'call_a', name: 'get_weather', arguments: '', status: 'in_progress' });
    expect(events[5]!.data).toMatchObject({ output_index: 0, name: 'get_weather', arguments: '{"city":"Oslo"}' });
    expect(events[7]!.data.output_index).toBe(1);
    const final = await sdkFinal(events);
    expect(final.output.map((o: any) => [o.type, o.call_id, o.arguments])).toEqual([
      ['function_call', 'call_a', '{"city":"Oslo"}'],
      ['function_call', 'call_b', '{}'],
    ]);
  });

  it('ends with response.incomplete when the token limit cut the answer', () => {
    const { events } = run([delta({ content: 'Hel' }), delta({}, 'length')]);
    const last = events[events.length - 1]!;
    expect(last.name).toBe('response.incomplete');
    expect(last.data.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });

  it('answers an empty turn with an empty message', () => {
    const { events } = run([delta({ role: 'assistant', content: '' }), delta({}, 'stop')]);
    expect(events.map((e) => e.name)).toContain('response.output_item.added');
    expect(events[events.length - 1]!.data.response.output[0].content[0].text).toBe('');
  });

  it('reports a failure as response.failed and an error event', () => {
    const { events } = run([delta({ content: 'Hel' })], (w) => w.error('The upstream stream ended before it was complete.', 'upstream_error'));
    expect(events.slice(-2).map((e) => e.name)).toEqual(['response.failed', 'error']);
    expect(events[events.length - 2]!.data.response).toMatchObject({ status: 'failed', error: { code: 'server_error' } });
    expect(events[events.length - 2]!.data.response.output[0].status).toBe('incomplete');
    expect(events[events.length - 1]!.data).toMatchObject({ type: 'error', code: 'upstream_error', message: expect.stringContaining('upstream'), param: null });
    // Even a failure before any chunk opens the response first.
    const early = run([], (w) => w.error('boom', 'upstream_error')).events.map((e) => e.name);
    expect(early).toEqual(['response.created', 'response.in_progress', 'response.failed', 'error']);
  });
});
