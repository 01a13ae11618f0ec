import diagnostics from 'node:diagnostics_channel';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHAT_CHANNEL, type ChatMilestoneEvent } from '../../src-gateway/tracing.js';
import { startAzureFake, type AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';
import { tokenCost } from '../support/token-cost.js';

// gpt-4o-mini catalog prices in micro-USD per MTok: input 150000, cached 75000, output 600000.
const costOf = tokenCost({ input: 150_000, cached: 75_000, output: 600_000 });

describe('chat completions through an Azure deployment', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({ fake: { chunkDelayMs: 25 }, deployments: [{ name: 'eastus-1' }] });
    ({ fake, gw, key } = setup);
    return setup.close;
  });

  it('answers a non-streamed call and bills exactly the upstream usage', async () => {
    fake.setOptions({ reply: () => ({ content: 'Hello there', usage: { prompt_tokens: 1000, cached_tokens: 200, completion_tokens: 500 } }) });
    const before = await gw.wallet();
    const { data: completion, response } = await gw.openai(key).chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2000 })
      .withResponse();
    expect(completion.choices[0]!.message.content).toBe('Hello there');
    const requestId = response.headers.get('x-omixa-request-id');
    expect(requestId).toMatch(/^req_/);

    const after = await gw.wallet();
    const expected = costOf(1000, 200, 500);
    expect(expected).toBe(435);
    expect(before.balance_micros - after.balance_micros).toBe(expected);
    expect(after.locked_micros).toBe(0);

    const row = await gw.admin('GET', `/admin/api/usage/requests/${requestId}`);
    expect(row).toMatchObject({ status: 'ok', prompt_tokens: 1000, cached_tokens: 200, completion_tokens: 500, total_tokens: 1500, cost_micros: 435, deployment_name: 'eastus-1' });

    const ledger = await gw.openai(key).get<{ data: { type: string; amount_micros: number; request_id: string }[] }>('/wallet/transactions');
    const moves = ledger.data.filter((t) => t.request_id === requestId).map((t) => t.type);
    expect(moves.sort()).toEqual(['capture', 'hold', 'release']);
    const hold = ledger.data.find((t) => t.request_id === requestId && t.type === 'hold')!.amount_micros;
    const release = ledger.data.find((t) => t.request_id === requestId && t.type === 'release')!.amount_micros;
    expect(hold - release).toBe(435);
  });

  it('publishes a streamed call\'s milestones, in order, on the omixa:chat diagnostics channel', async () => {
    fake.setOptions({ reply: () => ({ content: 'a b c' }) });
    const events: ChatMilestoneEvent[] = [];
    const listen = (message: unknown) => events.push(message as ChatMilestoneEvent);
    diagnostics.subscribe(CHAT_CHANNEL, listen);
    try {
      const { data: stream, response } = await gw.openai(key).chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true })
        .withResponse();
      for await (const _chunk of stream);
      const mine = events.filter((e) => e.reqId === response.headers.get('x-omixa-request-id'));
      expect(mine.map((e) => e.milestone)).toEqual(['validated', 'held', 'streaming']);
      expect(mine[0]!.at).toBeLessThan(mine[1]!.at);
      expect(mine[1]!.at).toBeLessThan(mine[2]!.at);
    } finally {
      diagnostics.unsubscribe(CHAT_CHANNEL, listen);
    }
  });

  it('sends the deployment secret upstream and never the client key', async () => {
    fake.setOptions({ reply: undefined });
    await gw.openai(key, { basePath: '/api/v1' }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'secret check' }] });
    const last = fake.requests[fake.requests.length - 1]!;
    expect(last.headers['api-key']).toBe('azure-secret-1');
    expect(JSON.stringify(last.headers)).not.toContain(key);
    expect(last.path).toBe('/openai/deployments/gpt-4o-mini/chat/completions');
    expect(last.query['api-version']).toBe('2024-10-21');
  });

  it('streams events as they arrive, spread over time, and bills the stream', async () => {
    fake.setOptions({ reply: () => ({ content: 'one two three four five six seven eight', usage: { prompt_tokens: 40, completion_tokens: 8 } }) });
    const before = await gw.wallet();
    const stream = await gw.openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'count' }], stream: true });
    const arrivals: number[] = [];
    let text = '';
    let sawUsage = false;
    let sawUsageField = false;
    for await (const chunk of stream) {
      arrivals.push(performance.now());
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) sawUsage = true;
      if ('usage' in chunk) sawUsageField = true;
    }
    expect(text).toBe('one two three four five six seven eight');
    // The client did not ask for usage: no usage chunk, and not the `"usage": null` the upstream adds to every chunk
    // because the gateway asked for it.
    expect(sawUsage).toBe(false);
    expect(sawUsageField).toBe(false);
    const spread = arrivals[arrivals.length - 1]! - arrivals[0]!;
    // 8 content pieces 25 ms apart upstream: forwarded one by one, not bunched at the end.
    expect(spread).toBeGreaterThan(7 * 25 * 0.7);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    expect(gaps.filter((g) => g > 10).length).toBeGreaterThanOrEqual(6);
    // The gateway asked the upstream for usage anyway, for billing.
    expect(fake.requests[fake.requests.length - 1]!.body.stream_options).toEqual({ include_usage: true });
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(costOf(40, 0, 8));
  });

  it('forwards the usage chunk when the client asks for it', async () => {
    fake.setOptions({ reply: () => ({ content: 'a b', usage: { prompt_tokens: 10, completion_tokens: 2 } }) });
    const stream = await gw.openai(key).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const usages = [];
    let nullUsages = 0;
    for await (const chunk of stream) {
      if (chunk.usage) usages.push(chunk.usage);
      else if (chunk.usage === null) nullUsages++;
    }
    expect(usages).toHaveLength(1);
    // As OpenAI streams it when asked: every other chunk says `"usage": null`.
    expect(nullUsages).toBeGreaterThan(0);
    expect(usages[0]).toMatchObject({ prompt_tokens: 10, completion_tokens: 2 });
  });

  it('sends the SSE headers and the padding comment first', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('alt-svc')).toBe('clear');
    const body = await res.text();
    expect(body.startsWith(':')).toBe(true);
    expect(body.indexOf('\n\n')).toBeGreaterThanOrEqual(8190);
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('streams tool calls with arguments split across events', async () => {
    fake.setOptions({ reply: () => ({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }] }) });
    const stream = await gw.openai(key).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      tool_choice: 'auto',
      stream: true,
    });
    let args = '';
    let name = '';
    let argumentEvents = 0;
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta?.tool_calls?.[0];
      if (call?.function?.name) name = call.function.name;
      if (call?.function?.arguments) {
        args += call.function.arguments;
        argumentEvents++;
      }
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toEqual({ city: 'Paris', unit: 'celsius' });
    expect(argumentEvents).toBeGreaterThan(1);
    const sent = fake.requests[fake.requests.length - 1]!.body;
    expect(sent.tools[0].function.name).toBe('get_weather');
    expect(sent.tool_choice).toBe('auto');
  });

  it('passes images in content parts through', async () => {
    fake.setOptions({ reply: undefined });
    await gw.openai(key).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
    });
    const sent = fake.requests[fake.requests.length - 1]!.body;
    expect(sent.messages[0].content[1]).toEqual({ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } });
  });

  it('drops reasoning_effort for families without it and service_tier without Fast mode', async () => {
    fake.setOptions({ reply: undefined });
    await gw.openai(key).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
      reasoning_effort: 'high',
      service_tier: 'priority',
    } as never);
    const sent = fake.requests[fake.requests.length - 1]!.body;
    expect(sent.reasoning_effort).toBeUndefined();
    expect(sent.service_tier).toBeUndefined();
  });

  it('maps reasoning_effort per family and keeps service_tier on Fast-mode deployments', async () => {
    const gpt51 = await startAzureFake({ deployments: ['gpt-5.1'] });
    try {
      await gw.addAzureDeployment(gpt51, { name: 'g51', model: 'gpt-5.1', deployment: 'gpt-5.1', fast_mode: true });
      await gw.openai(key).chat.completions.create({
        model: 'gpt-5.1',
        messages: [{ role: 'user', content: 'x' }],
        reasoning_effort: 'minimal',
        service_tier: 'priority',
      } as never);
      const sent = gpt51.requests[gpt51.requests.length - 1]!.body;
      expect(sent.reasoning_effort).toBe('none');
      expect(sent.service_tier).toBe('priority');

      // gpt-5 models refuse the deprecated max_tokens: the limit goes as max_completion_tokens, whichever protocol
      // the client spoke (the Anthropic Messages API has only max_tokens).
      await gw.openai(key).chat.completions.create({ model: 'gpt-5.1', messages: [{ role: 'user', content: 'x' }], max_tokens: 77 });
      expect(gpt51.requests.at(-1)!.body).toMatchObject({ max_completion_tokens: 77 });
      expect(gpt51.requests.at(-1)!.body).not.toHaveProperty('max_tokens');
      const res = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5.1', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(gpt51.requests.at(-1)!.body).toMatchObject({ max_completion_tokens: 100 });
      expect(gpt51.requests.at(-1)!.body).not.toHaveProperty('max_tokens');
      // Other families keep max_tokens as the client sent it.
      await gw.openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: 55 });
      expect(fake.requests.at(-1)!.body).toMatchObject({ max_tokens: 55 });
      expect(fake.requests.at(-1)!.body).not.toHaveProperty('max_completion_tokens');
    } finally {
      await gw.admin('DELETE', '/admin/api/deployments/g51');
      await gpt51.close();
    }
  });

  it('gives a client that reads slowly every event of a large stream, in order, and bills it exactly', async () => {
    // 600 events of ~10 KB with no delay upstream: far more than the sockets buffer while the client sleeps, so the
    // gateway has to stop reading the upstream until the client catches up.
    const words = Array.from({ length: 600 }, (_, i) => `${i}:${'x'.repeat(10_000)}`);
    const content = words.join(' ');
    fake.setOptions({ reply: () => ({ content, usage: { prompt_tokens: 12, completion_tokens: 600 } }), chunkDelayMs: 0 });
    try {
      const { data: stream, response } = await gw
        .openai(key)
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'big' }], stream: true, stream_options: { include_usage: true } })
        .withResponse();
      let received = '';
      let usage: unknown;
      let first = true;
      for await (const chunk of stream) {
        if (first) {
          first = false;
          await new Promise((resolve) => setTimeout(resolve, 600));
        }
        received += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(received).toBe(content);
      expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 600 });
      const record = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
      expect(record).toMatchObject({ status: 'ok', cost_micros: costOf(12, 0, 600) });
      expect((await gw.wallet()).locked_micros).toBe(0);
    } finally {
      fake.setOptions({ reply: undefined, chunkDelayMs: 25 });
    }
  });

  it('aborts the upstream when the client disconnects and bills only what was generated', async () => {
    fake.setOptions({ reply: () => ({ content: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '), usage: { prompt_tokens: 30, completion_tokens: 40 } }), chunkDelayMs: 30 });
    const abortedBefore = fake.aborted;
    const controller = new AbortController();
    const { data: stream, response } = await gw
      .openai(key)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'long' }], stream: true, max_tokens: 1000 }, { signal: controller.signal })
      .withResponse();
    let pieces = 0;
    const requestId = response.headers.get('x-omixa-request-id')!;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) pieces++;
        if (pieces === 5) controller.abort();
      }
    } catch {
      // the SDK throws on abort
    }
    await expect.poll(() => fake.aborted, { timeout: 3000 }).toBeGreaterThan(abortedBefore);
    await expect.poll(async () => (await gw.admin('GET', `/admin/api/usage/requests/${requestId}`)).status, { timeout: 3000 }).toBe('cancelled');
    const record = await gw.admin('GET', `/admin/api/usage/requests/${requestId}`);
    expect(record.completion_tokens).toBeGreaterThan(0);
    expect(record.completion_tokens).toBeLessThan(40);
    expect(record.cost_micros).toBeGreaterThan(0);
    expect(record.cost_micros).toBeLessThan(record.hold_micros);
    const w = await gw.wallet();
    expect(w.locked_micros).toBe(0);
    const doctor = await gw.admin('GET', '/admin/api/doctor');
    expect(doctor.ledger_ok).toBe(true);
    fake.setOptions({ chunkDelayMs: 25 });
  });

  it('lists the served model with its pricing', async () => {
    const models = await gw.openai(key).models.list();
    const mini = models.data.find((m) => m.id === 'gpt-4o-mini') as unknown as Record<string, any>;
    expect(mini).toMatchObject({ modality: 'chat', provider: 'azure', pricing: { input_per_mtok: 0.15, cached_input_per_mtok: 0.075, output_per_mtok: 0.6 } });
    expect(models.data.find((m) => m.id === 'gpt-4o')).toBeUndefined(); // no deployment
  });

  it('reports usage per request and rolled up', async () => {
    const page = await gw.openai(key).get<{ object: string; data: Record<string, unknown>[]; has_more: boolean }>('/usage/requests', { query: { limit: 2 } });
    expect(page.object).toBe('list');
    expect(page.data).toHaveLength(2);
    expect(page.has_more).toBe(true);
    expect(page.data[0]).not.toHaveProperty('deployment_name');
    const rollups = await gw.openai(key).get<{ data: { model: string; requests: number; cost_micros: number }[] }>('/usage/rollups', {
      query: { granularity: 'day', group_by: 'model' },
    });
    const mini = rollups.data.find((r) => r.model === 'gpt-4o-mini')!;
    expect(mini.requests).toBeGreaterThanOrEqual(5);
    expect(mini.cost_micros).toBeGreaterThan(435);
  });
});
