/**
 * `openai` SDK → gateway `/v1/chat/completions` → an Anthropic deployment (the `anthropic` provider against a
 * loopback Messages API fake), and `@anthropic-ai/sdk` → gateway → the same deployment (both translations in one
 * call). Billing uses Anthropic's cache reads and writes at their own catalog rates.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startAnthropicFake, type AnthropicFake } from '../support/fakes/anthropic.js';
import { startFundedGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';

// claude-sonnet-4-5 catalog prices in micro-USD per MTok: input 3.00, cache read 0.30, cache write 3.75, output 15.00 USD.
const PRICE = { input: 3_000_000, cacheRead: 300_000, cacheWrite: 3_750_000, output: 15_000_000 };
/** Cost from Anthropic's own counts (input excludes the cache), rounded half up once. */
const costOf = (u: { input: number; cacheRead?: number; cacheWrite?: number; output: number }) =>
  Math.floor((u.input * PRICE.input + (u.cacheRead ?? 0) * PRICE.cacheRead + (u.cacheWrite ?? 0) * PRICE.cacheWrite + u.output * PRICE.output + 500_000) / 1_000_000);

const WEATHER = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('OpenAI SDK through the gateway to an Anthropic deployment', () => {
  let fake: AnthropicFake;
  let gw: TestGateway;
  let key: string;
  const lastSent = () => fake.requests[fake.requests.length - 1]!;
  const spent = async (run: () => Promise<unknown>): Promise<number> => {
    const before = (await gw.wallet()).balance_micros;
    await run();
    const after = await gw.wallet();
    expect(after.locked_micros).toBe(0);
    return before - after.balance_micros;
  };

  beforeAll(async () => {
    const setup = await startFundedGateway(
      () => startAnthropicFake({ chunkDelayMs: 25 }),
      (gw, fake) =>
        gw.admin('POST', '/admin/api/deployments', {
          name: 'claude-1',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          endpoint: fake.url,
          deployment: 'claude-sonnet-4-5-20250929',
          api_key: 'anthropic-secret-1',
        }),
    );
    ({ fake, gw, key } = setup);
    return setup.close;
  });
  beforeEach(() => fake.setOptions({ reply: undefined, chunkDelayMs: 25 }));

  it('translates a chat call to a Messages call and bills cache reads and writes at their own rates', async () => {
    fake.setOptions({ reply: () => ({ content: 'Bonjour', usage: { input_tokens: 1000, cache_read_input_tokens: 2000, cache_creation_input_tokens: 500, output_tokens: 300 } }) });
    let completion!: OpenAI.ChatCompletion;
    const cost = await spent(async () => {
      completion = await gw.openai(key).chat.completions.create({
        model: 'claude-sonnet-4-5',
        messages: [
          { role: 'system', content: 'You translate.' },
          { role: 'developer', content: 'French only.' },
          { role: 'user', content: 'Hello' },
        ],
        temperature: 1.6,
        stop: 'END',
        user: 'user-42',
      });
    });
    expect(completion.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Bonjour' }, finish_reason: 'stop' });
    expect(completion.usage).toMatchObject({ prompt_tokens: 3500, completion_tokens: 300, total_tokens: 3800, prompt_tokens_details: { cached_tokens: 2000 } });
    expect(costOf({ input: 1000, cacheRead: 2000, cacheWrite: 500, output: 300 })).toBe(9975);
    expect(cost).toBe(9975);

    const sent = lastSent();
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe('anthropic-secret-1');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(JSON.stringify(sent.headers)).not.toContain(key);
    expect(sent.body).toEqual({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 64000, // no max_tokens in the request: the catalog model's cap
      system: 'You translate.\n\nFrench only.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      temperature: 1, // OpenAI's 0–2 range clamped to Anthropic's 0–1
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
    });
  });

  it('streams Anthropic events as OpenAI chunks, spread over time, with the usage chunk when asked', async () => {
    fake.setOptions({ reply: () => ({ content: 'one two three four five six seven eight', usage: { input_tokens: 40, cache_read_input_tokens: 100, output_tokens: 8 } }), chunkDelayMs: 40 });
    const arrivals: number[] = [];
    let text = '';
    let finish: string | null = null;
    const usages: OpenAI.CompletionUsage[] = [];
    const cost = await spent(async () => {
      const stream = await gw.openai(key).chat.completions.create({
        model: 'claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'count' }],
        max_tokens: 500,
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.delta?.content;
        if (piece) {
          arrivals.push(performance.now());
          text += piece;
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usages.push(chunk.usage);
      }
    });
    expect(text).toBe('one two three four five six seven eight');
    expect(finish).toBe('stop');
    expect(usages).toEqual([expect.objectContaining({ prompt_tokens: 140, completion_tokens: 8, prompt_tokens_details: expect.objectContaining({ cached_tokens: 100 }) })]);
    expect(lastSent().body).toMatchObject({ stream: true, max_tokens: 500 });
    // 8 text deltas 40 ms apart upstream arrive one by one (slack for a loaded machine).
    expect(arrivals).toHaveLength(8);
    expect(arrivals[7]! - arrivals[0]!).toBeGreaterThan(7 * 40 * 0.7);
    expect(arrivals.slice(1).filter((t, i) => t - arrivals[i]! > 15).length).toBeGreaterThanOrEqual(5);
    expect(cost).toBe(costOf({ input: 40, cacheRead: 100, output: 8 }));
  });

  it('streams tool calls: id and name first, then the arguments split across events', async () => {
    fake.setOptions({ reply: () => ({ content: '', toolUses: [{ id: 'toolu_01', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } }], usage: { input_tokens: 300, output_tokens: 25 } }) });
    let args = '';
    let argumentEvents = 0;
    const starts: { id?: string; name?: string }[] = [];
    let finish: string | null = null;
    const cost = await spent(async () => {
      const stream = await gw.openai(key).chat.completions.create({
        model: 'claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'weather?' }],
        tools: [WEATHER],
        tool_choice: 'required',
        parallel_tool_calls: false,
        stream: true,
      });
      for await (const chunk of stream) {
        const call = chunk.choices[0]?.delta?.tool_calls?.[0];
        if (call?.id) starts.push({ id: call.id, name: call.function?.name });
        if (call?.function?.arguments) {
          args += call.function.arguments;
          argumentEvents++;
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
    });
    expect(starts).toEqual([{ id: 'toolu_01', name: 'get_weather' }]);
    expect(JSON.parse(args)).toEqual({ city: 'Paris', unit: 'celsius' });
    expect(argumentEvents).toBeGreaterThan(1);
    expect(finish).toBe('tool_calls');
    const sent = lastSent().body;
    expect(sent.tools).toEqual([{ name: 'get_weather', description: 'Weather for a city', input_schema: WEATHER.function.parameters }]);
    expect(sent.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(cost).toBe(costOf({ input: 300, output: 25 }));
  });

  it('answers tool calls non-streamed and sends the tool results back as tool_result blocks', async () => {
    fake.setOptions({ reply: () => ({ content: 'Checking both.', toolUses: [{ id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } }, { id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } }] }) });
    const first = await gw.openai(key).chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Paris and Rome?' }], tools: [WEATHER] });
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.content).toBe('Checking both.');
    expect(message.tool_calls).toEqual([
      { id: 'toolu_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'toolu_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
    ]);

    fake.setOptions({ reply: () => ({ content: 'Paris 22°C, Rome 27°C.' }) });
    const second = await gw.openai(key).chat.completions.create({
      model: 'claude-sonnet-4-5',
      tools: [WEATHER],
      messages: [
        { role: 'user', content: 'Paris and Rome?' },
        message,
        { role: 'tool', tool_call_id: 'toolu_a', content: '22°C' },
        { role: 'tool', tool_call_id: 'toolu_b', content: '27°C' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('Paris 22°C, Rome 27°C.');
    // The fake, like the API, refuses tool results that do not answer the previous turn's tool uses.
    expect(lastSent().body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking both.' },
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: '22°C' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: '27°C' },
        ],
      },
    ]);
  });

  it('sends data-URL images as base64 blocks and http images as url blocks', async () => {
    await gw.openai(key).chat.completions.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'compare' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
      ] }],
    });
    expect(lastSent().body.messages[0].content).toEqual([
      { type: 'text', text: 'compare' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('turns upstream refusals into OpenAI-shaped errors and bills nothing', async () => {
    fake.setOptions({ reply: () => ({ status: 400, errorMessage: 'messages: roles must alternate' }) });
    const bad = await gw.openai(key).chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.APIError>).message).toContain('roles must alternate');

    fake.setOptions({ reply: () => ({ status: 529, errorMessage: 'Overloaded' }) });
    const before = await gw.wallet();
    const overloaded = await gw.openai(key).chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(OpenAI.APIError);
    expect((overloaded as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(await gw.wallet()).toEqual(before);
    // (The 529 put the only deployment into cooldown: this test stays last in its group.)
  });
});

describe('Anthropic SDK through the gateway to an Anthropic deployment', () => {
  let fake: AnthropicFake;
  let gw: TestGateway;
  let client: Anthropic;

  beforeAll(async () => {
    const setup = await startFundedGateway(
      () => startAnthropicFake({ chunkDelayMs: 20 }),
      (gw, fake) =>
        gw.admin('POST', '/admin/api/deployments', { name: 'claude-2', provider: 'anthropic', model: 'claude-haiku-4-5', endpoint: `${fake.url}/v1`, deployment: 'claude-haiku-4-5', api_key: 'anthropic-secret-1' }),
    );
    ({ fake, gw } = setup);
    client = new Anthropic({ apiKey: setup.key, baseURL: gw.url, maxRetries: 0 });
    return setup.close;
  });

  it('keeps cache breakpoints and reports the upstream cache counts unchanged', async () => {
    fake.setOptions({ reply: () => ({ content: 'Cached answer', usage: { input_tokens: 12, cache_read_input_tokens: 900, cache_creation_input_tokens: 80, output_tokens: 6 } }) });
    const before = (await gw.wallet()).balance_micros;
    const message = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      system: [{ type: 'text', text: 'A long shared preamble.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Question' }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Cached answer' }]);
    expect(message.usage).toMatchObject({ input_tokens: 12, cache_read_input_tokens: 900, cache_creation_input_tokens: 80, output_tokens: 6 });
    expect(fake.requests[fake.requests.length - 1]!.body.system).toEqual([{ type: 'text', text: 'A long shared preamble.', cache_control: { type: 'ephemeral' } }]);
    // claude-haiku-4-5: input 1.00, cache read 0.10, cache write 1.25, output 5.00 USD/MTok.
    const expected = Math.floor((12 * 1_000_000 + 900 * 100_000 + 80 * 1_250_000 + 6 * 5_000_000 + 500_000) / 1_000_000);
    expect(expected).toBe(232);
    expect(before - (await gw.wallet()).balance_micros).toBe(expected);
  });

  it('streams tool use end to end with the usage of the upstream', async () => {
    fake.setOptions({ reply: () => ({ content: 'Let me look.', toolUses: [{ id: 'toolu_z', name: 'lookup', input: { q: 'omixa' } }], usage: { input_tokens: 50, output_tokens: 20 } }) });
    const stream = client.messages.stream({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      tools: [{ name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'find omixa' }],
    });
    const arrivals: number[] = [];
    stream.on('streamEvent', () => arrivals.push(performance.now()));
    const message = await stream.finalMessage();
    expect(message.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'Let me look.' }),
      expect.objectContaining({ type: 'tool_use', id: 'toolu_z', name: 'lookup', input: { q: 'omixa' } }),
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 50, output_tokens: 20 });
    expect(arrivals[arrivals.length - 1]! - arrivals[0]!).toBeGreaterThan(5 * 20 * 0.7);
  });

  it('ends the stream with an error event when the upstream sends one mid-stream', async () => {
    fake.setOptions({ reply: () => ({ content: 'a b c d e f', errorAfterEvents: 5 }) });
    const stream = client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] });
    const { response } = await stream.withResponse();
    let text = '';
    stream.on('text', (piece) => (text += piece));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(text.length).toBeGreaterThan(0);
    // No usage came back: what was produced is counted locally onto the row; a failed call captures nothing, and the
    // hold is released whole.
    const row = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
    expect(row).toMatchObject({ status: 'error', error_code: 'upstream_error', cost_micros: 0 });
    expect(row.completion_tokens).toBeGreaterThan(0);
    expect((await gw.wallet()).locked_micros).toBe(0);
  });
});
