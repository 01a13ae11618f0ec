import { beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startAzureFake, type AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';

/**
 * The Responses API beyond plain text: function calling (and the follow-up turn), images, reasoning effort,
 * structured output, and errors in the OpenAI shape. The official `openai` SDK against a real Azure fake.
 */

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe('POST /responses: tools, images, reasoning and errors', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({ fake: { chunkDelayMs: 15 }, deployments: [{ name: 'eastus-1' }] });
    ({ fake, gw, key } = setup);
    return setup.close;
  });

  const last = () => fake.requests[fake.requests.length - 1]!;

  it('answers a function call as a function_call item, then takes its output in the next turn', async () => {
    fake.setOptions({ reply: () => ({ content: '', toolCalls: [{ id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris"}' }] }) });
    const client = gw.openai(key);
    const first = await client.responses.create({ model: 'gpt-4o-mini', input: 'Weather in Paris?', tools: [WEATHER_TOOL], tool_choice: 'auto' });

    expect(first.output).toEqual([
      { id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'completed', call_id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris"}' },
    ]);
    expect(first.output_text).toBe('');
    expect(first.tools).toEqual([{ ...WEATHER_TOOL }]);
    // Flat Responses tools became nested chat tools upstream.
    expect(last().body.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: WEATHER_TOOL.parameters, strict: true } },
    ]);
    expect(last().body.tool_choice).toBe('auto');

    fake.setOptions({ reply: () => ({ content: 'It is 18C in Paris.' }) });
    const second = await client.responses.create({
      model: 'gpt-4o-mini',
      tools: [WEATHER_TOOL],
      // The SDK types every output item, some of which are not input items; function calls are.
      input: [{ role: 'user', content: 'Weather in Paris?' }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: 'call_abc', output: '{"temp_c":18}' }],
    });
    expect(second.output_text).toBe('It is 18C in Paris.');
    expect(last().body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc', content: '{"temp_c":18}' },
    ]);
  });

  it('streams function calls: item added, argument deltas spread over time, done, and finalResponse()', async () => {
    fake.setOptions({ reply: () => ({ content: '', toolCalls: [{ id: 'call_s1', name: 'get_weather', arguments: '{"city":"Reykjavik","unit":"celsius"}' }] }) });
    const stream = gw.openai(key).responses.stream({ model: 'gpt-4o-mini', input: 'Weather?', tools: [WEATHER_TOOL] });
    const events: { type: string; at: number; [k: string]: any }[] = [];
    stream.on('event', (event) => events.push({ ...event, at: performance.now() }));
    const final = await stream.finalResponse();

    const types = events.map((e) => e.type);
    const argDeltas = events.filter((e) => e.type === 'response.function_call_arguments.delta');
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      ...argDeltas.map(() => 'response.function_call_arguments.delta'),
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(argDeltas.length).toBeGreaterThan(1);
    expect(argDeltas[argDeltas.length - 1]!.at - argDeltas[0]!.at).toBeGreaterThan((argDeltas.length - 1) * 15 * 0.6);
    expect(events[2]!.item).toMatchObject({ type: 'function_call', call_id: 'call_s1', name: 'get_weather', arguments: '' });
    expect(events.find((e) => e.type === 'response.function_call_arguments.done')).toMatchObject({ name: 'get_weather', arguments: '{"city":"Reykjavik","unit":"celsius"}' });
    expect(final.output).toHaveLength(1);
    expect(final.output[0]).toMatchObject({ type: 'function_call', call_id: 'call_s1', arguments: '{"city":"Reykjavik","unit":"celsius"}', status: 'completed' });
  });

  it('passes images in input as chat image parts (data URLs and https URLs, with detail)', async () => {
    fake.setOptions({ reply: undefined });
    await gw.openai(key).responses.create({
      model: 'gpt-4o-mini',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is in these?' },
            { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
            { type: 'input_image', image_url: 'https://example.com/cat.jpg', detail: 'low' },
          ],
        },
      ],
    });
    expect(last().body.messages[0].content).toEqual([
      { type: 'text', text: 'What is in these?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'low' } },
    ]);
  });

  it('maps reasoning.effort to reasoning_effort per model family, and drops it where the family takes none', async () => {
    fake.setOptions({ reply: undefined });
    await gw.openai(key).responses.create({ model: 'gpt-4o-mini', input: 'x', reasoning: { effort: 'high' } });
    expect(last().body).not.toHaveProperty('reasoning_effort');
    expect(last().body).not.toHaveProperty('reasoning');

    const gpt51 = await startAzureFake({ deployments: ['gpt-5.1'] });
    try {
      await gw.addAzureDeployment(gpt51, { name: 'g51', model: 'gpt-5.1', deployment: 'gpt-5.1' });
      const response = await gw.openai(key).responses.create({ model: 'gpt-5.1', input: 'think', reasoning: { effort: 'minimal' } });
      expect(response.reasoning).toMatchObject({ effort: 'minimal' });
      const sent = gpt51.requests[gpt51.requests.length - 1]!.body;
      expect(sent.reasoning_effort).toBe('none'); // gpt-5.1 has no "minimal": the nearest is "none"
      expect(sent).not.toHaveProperty('reasoning');
    } finally {
      await gw.admin('DELETE', '/admin/api/deployments/g51');
      await gpt51.close();
    }
  });

  it('maps text.format json_schema to response_format', async () => {
    fake.setOptions({ reply: () => ({ content: '{"answer":42}' }) });
    const schema = { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false };
    const response = await gw.openai(key).responses.create({
      model: 'gpt-4o-mini',
      input: 'answer?',
      text: { format: { type: 'json_schema', name: 'answer', schema, strict: true } },
    });
    expect(JSON.parse(response.output_text)).toEqual({ answer: 42 });
    expect(last().body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } });
  });

  it('answers a missing input with 400 in the OpenAI shape, naming the param, without calling or billing', async () => {
    const calls = fake.requests.length;
    const before = await gw.wallet();
    const err = await gw
      .openai(key)
      .responses.create({ model: 'gpt-4o-mini' } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.status).toBe(400);
    expect(bad.param).toBe('input');
    expect(bad.code).toBe('invalid_request');
    expect(bad.type).toBe('invalid_request_error');
    expect(bad.message).toContain("Missing required parameter: 'input'");
    expect(fake.requests.length).toBe(calls);
    expect((await gw.wallet()).balance_micros).toBe(before.balance_micros);
  });

  it('refuses conversation, unsupported tools and bad input items with a 400 naming the param', async () => {
    const client = gw.openai(key);
    const cases: [Record<string, unknown>, string][] = [
      [{ input: 'x', conversation: 'conv_123' }, 'conversation'],
      [{ input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type'],
      [{ input: [{ role: 'user', content: [{ type: 'input_image', detail: 'auto' }] }] }, 'input[0].content[0].image_url'],
      [{ input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id'],
      [{ input: 'x', temperature: 'hot' }, 'temperature'],
    ];
    for (const [body, param] of cases) {
      const err = (await client.responses.create({ model: 'gpt-4o-mini', ...body } as never).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err, param).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.param).toBe(param);
    }
  });

  it('answers malformed JSON, unknown models and missing keys in the OpenAI shape', async () => {
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"model":' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error' });

    const notFound = await gw.openai(key).responses.create({ model: 'no-such-model', input: 'x' }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect((notFound as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');

    const unauth = await gw.openai('omx_live_notarealkey00000000000000000000').responses.create({ model: 'gpt-4o-mini', input: 'x' }).catch((e: unknown) => e);
    expect(unauth).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('answers 402 when the wallet cannot cover the hold', async () => {
    const poor = await gw.admin('POST', '/admin/api/accounts', { name: 'poor-responses' });
    const poorKey = (await gw.createKey({ account: poor.id ?? poor.account?.id ?? 'poor-responses' })).key;
    const calls = fake.requests.length;
    const err = await gw.openai(poorKey).responses.create({ model: 'gpt-4o-mini', input: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('insufficient_balance');
    expect(fake.requests.length).toBe(calls);
  });
});
