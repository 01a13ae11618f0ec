/**
 * `@anthropic-ai/sdk` → gateway `/v1/messages` → an Azure OpenAI deployment: the gateway translates the Messages
 * protocol to the OpenAI chat IR and back, streams Anthropic events as the Azure chunks arrive, and bills exactly.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import type { AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';
import { tokenCost } from '../support/token-cost.js';

// gpt-4o-mini catalog prices in micro-USD per MTok: input 0.15, cached 0.075, output 0.60 USD.
const costOf = tokenCost({ input: 150_000, cached: 75_000, output: 600_000 });

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('Anthropic SDK through the gateway to an Azure deployment', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;
  /** SDK 0.x: `apiKey` goes out as `x-api-key`, and the SDK adds `/v1/messages` to a base URL without `/v1`. */
  const client = (apiKey = key) => new Anthropic({ apiKey, baseURL: gw.url, maxRetries: 0 });
  const lastSent = () => fake.requests[fake.requests.length - 1]!;

  beforeAll(async () => {
    const setup = await startAzureGateway({ fake: { chunkDelayMs: 25 }, deployments: [{ name: 'eastus-1' }] });
    ({ fake, gw, key } = setup);
    return setup.close;
  });
  beforeEach(() => fake.setOptions({ reply: undefined, chunkDelayMs: 25 }));

  it('answers messages.create as a Message and bills exactly the upstream usage', async () => {
    fake.setOptions({ reply: () => ({ content: 'Hello there', usage: { prompt_tokens: 1000, cached_tokens: 200, completion_tokens: 500 } }) });
    const before = await gw.wallet();
    const { data: message, response } = await client()
      .messages.create({ model: 'gpt-4o-mini', max_tokens: 2000, system: 'Be brief.', temperature: 0.5, stop_sequences: ['END'], messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'gpt-4o-mini', content: [{ type: 'text', text: 'Hello there' }], stop_reason: 'end_turn' });
    expect(message.id).toMatch(/^msg_/);
    // Anthropic counts input without the cache: 1000 prompt tokens of which 200 cached.
    expect(message.usage).toMatchObject({ input_tokens: 800, cache_read_input_tokens: 200, cache_creation_input_tokens: 0, output_tokens: 500 });

    const sent = lastSent().body;
    expect(sent.messages).toEqual([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]);
    expect(sent).toMatchObject({ max_tokens: 2000, temperature: 0.5, stop: ['END'] });
    expect(lastSent().headers['api-key']).toBe('azure-secret-1');

    const after = await gw.wallet();
    expect(costOf(1000, 200, 500)).toBe(435);
    expect(before.balance_micros - after.balance_micros).toBe(435);
    expect(after.locked_micros).toBe(0);
    const row = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
    expect(row).toMatchObject({ endpoint: 'messages', status: 'ok', prompt_tokens: 1000, cached_tokens: 200, completion_tokens: 500, cost_micros: 435 });
  });

  it('sends cache breakpoints and documents to an Azure deployment in the shapes the OpenAI wire takes', async () => {
    await client().messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 50,
      system: [{ type: 'text', text: 'You review documents.', cache_control: { type: 'ephemeral' } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' }, title: 'spec.pdf' },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Rule one.' } },
            { type: 'text', text: 'Summarise both.', cache_control: { type: 'ephemeral' } },
          ],
        },
      ],
    });
    const sent = lastSent().body;
    expect(JSON.stringify(sent)).not.toContain('cache_control');
    expect(sent.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'You review documents.' }] },
      {
        role: 'user',
        content: [
          { type: 'file', file: { filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' } },
          { type: 'text', text: 'Rule one.' },
          { type: 'text', text: 'Summarise both.' },
        ],
      },
    ]);

    // A PDF by URL has no OpenAI shape: the client's 400, in the Anthropic error shape, and nothing charged.
    const before = await gw.wallet();
    const calls = fake.requests.length;
    const err = await client()
      .messages.create({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(fake.requests.length).toBe(calls);
    expect(await gw.wallet()).toEqual(before);
  });

  it('serves /api/v1/messages with a Bearer token (the SDK authToken style)', async () => {
    const bearer = new Anthropic({ authToken: key, apiKey: null, baseURL: `${gw.url}/api`, maxRetries: 0 });
    const message = await bearer.messages.create({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'bearer check' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'Echo: bearer check' }]);
    expect(JSON.stringify(lastSent().headers)).not.toContain(key);
  });

  it('streams Anthropic events as the upstream chunks arrive, spread over time, and bills the stream', async () => {
    fake.setOptions({ reply: () => ({ content: 'one two three four five six seven eight', usage: { prompt_tokens: 40, completion_tokens: 8 } }), chunkDelayMs: 40 });
    const before = await gw.wallet();
    const stream = client().messages.stream({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'count' }] });
    const names: string[] = [];
    const textArrivals: number[] = [];
    let startUsage: { input_tokens: number } | undefined;
    stream.on('streamEvent', (event) => {
      names.push(event.type);
      if (event.type === 'message_start') startUsage = event.message.usage;
    });
    stream.on('text', () => textArrivals.push(performance.now()));
    const message = await stream.finalMessage();

    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'one two three four five six seven eight' })]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 40, output_tokens: 8 });
    expect(names[0]).toBe('message_start');
    // message_start states the input before the answer, as Anthropic does: the gateway's own count, the upstream's at the end.
    expect(startUsage!.input_tokens).toBeGreaterThan(0);
    expect(names.slice(1, 2)).toEqual(['content_block_start']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    // 8 text pieces 40 ms apart upstream: forwarded one by one, not bunched at the end (slack for a loaded machine).
    expect(textArrivals).toHaveLength(8);
    expect(textArrivals[7]! - textArrivals[0]!).toBeGreaterThan(7 * 40 * 0.7);
    const gaps = textArrivals.slice(1).map((t, i) => t - textArrivals[i]!);
    expect(gaps.filter((g) => g > 15).length).toBeGreaterThanOrEqual(5);

    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(costOf(40, 0, 8));
  });

  it('returns tool_use blocks with parsed input, then carries the tool_result back upstream', async () => {
    fake.setOptions({ reply: () => ({ content: '', toolCalls: [{ id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}' }], usage: { prompt_tokens: 120, completion_tokens: 18 } }) });
    const before = await gw.wallet();
    const first = await client().messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 200,
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([{ type: 'tool_use', id: 'call_w1', name: 'get_weather', input: { city: 'Paris' } }]);
    const sentTools = lastSent().body;
    expect(sentTools.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: WEATHER_TOOL.input_schema } }]);
    expect(sentTools.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(costOf(120, 0, 18));

    fake.setOptions({ reply: () => ({ content: 'It is sunny in Paris.' }) });
    const second = await client().messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 200,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_w1', content: '22°C, sunny' }, { type: 'text', text: 'Summarise.' }] },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'It is sunny in Paris.' }]);
    expect(lastSent().body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_w1', content: '22°C, sunny' },
      { role: 'user', content: [{ type: 'text', text: 'Summarise.' }] },
    ]);
  });

  it('streams tool calls as tool_use blocks with input_json_delta pieces', async () => {
    fake.setOptions({ reply: () => ({ content: 'Checking.', toolCalls: [{ id: 'call_s1', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }] }) });
    const stream = client().messages.stream({ model: 'gpt-4o-mini', max_tokens: 200, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Weather?' }] });
    let jsonPieces = 0;
    stream.on('inputJson', () => jsonPieces++);
    const message = await stream.finalMessage();
    expect(message.content).toEqual([
      expect.objectContaining({ type: 'text', text: 'Checking.' }),
      expect.objectContaining({ type: 'tool_use', id: 'call_s1', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } }),
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(jsonPieces).toBeGreaterThan(1);
  });

  it('counts tokens locally', async () => {
    const count = await client().messages.countTokens({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'How many tokens is this?' }] });
    expect(count.input_tokens).toBeGreaterThan(5);
    expect(count.input_tokens).toBeLessThan(30);
  });

  describe('errors in Anthropic shape, raised as the SDK types', () => {
    it('wrong key → AuthenticationError', async () => {
      const err = await client('omx_live_wrongwrongwrongwrongwrongwrong12').messages.create({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((err as APIError).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
      expect((err as APIError).headers?.get('x-omixa-request-id')).toMatch(/^req_/);
    });

    it('unknown model → NotFoundError', async () => {
      const err = await client().messages.create({ model: 'no-such-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.NotFoundError);
      expect((err as APIError).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    });

    it('missing max_tokens and bad blocks → BadRequestError naming the field; the upstream is not called', async () => {
      const calls = fake.requests.length;
      const missing = await client().messages.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] } as never).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(Anthropic.BadRequestError);
      expect((missing as APIError).error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
      const badBlock = await client()
        .messages.create({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text' }] }] } as never)
        .catch((e: unknown) => e);
      expect(badBlock).toBeInstanceOf(Anthropic.BadRequestError);
      expect((badBlock as APIError).message).toContain('messages[0].content[0].text');
      expect(fake.requests.length).toBe(calls);
    });

    it('malformed JSON and unknown routes answer in Anthropic shape, never a 500', async () => {
      const res = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: '{"model":' });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'The request body is not valid JSON.' } });
      const missing = await fetch(`${gw.url}/v1/messages/batches`, { method: 'POST', headers: { 'x-api-key': key }, body: '{}' });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    });

    it('absurdly nested input (tool inputs, tool schemas) → 400, never a 500', async () => {
      const deep = '{"a":'.repeat(20_000) + '{}' + '}'.repeat(20_000);
      const bodies = [
        `{"model":"gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":${deep}}]}]}`,
        `{"model":"gpt-4o-mini","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"type":"object","properties":${deep}}}]}`,
      ];
      for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
        for (const body of bodies) {
          const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body });
          expect(res.status, path).toBe(400);
          expect(await res.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'The request body is nested too deeply.' } });
        }
      }
      expect((await gw.wallet()).locked_micros).toBe(0);
    });

    it('an empty wallet → 402 billing_error', async () => {
      await gw.admin('POST', '/admin/api/accounts', { name: 'broke-anthropic' });
      const brokeKey = (await gw.createKey({ name: 'broke', account: 'broke-anthropic' })).key;
      const err = await client(brokeKey).messages.create({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect((err as APIError).status).toBe(402);
      expect((err as APIError).error).toEqual({ type: 'error', error: { type: 'billing_error', message: 'Wallet balance is not enough for this request.' } });
    });

    it('an upstream that dies mid-stream ends the stream with an error event the SDK raises', async () => {
      fake.setOptions({ reply: () => ({ content: 'a b c d e f g h', failAfterEvents: 5 }) });
      const stream = client().messages.stream({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] });
      let text = '';
      stream.on('text', (piece) => (text += piece));
      const err = await stream.finalMessage().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect((err as APIError).error).toMatchObject({ type: 'error', error: { type: 'api_error', message: 'The upstream stream ended before it was complete.' } });
      expect(text.length).toBeGreaterThan(0);
      expect((await gw.wallet()).locked_micros).toBe(0);
    });
  });
});
