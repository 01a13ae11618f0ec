import { beforeAll, describe, expect, it } from 'vitest';
import type { AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';
import { tokenCost } from '../support/token-cost.js';

/**
 * The OpenAI Responses API served by the gateway: the official `openai` SDK as the client, a real loopback Azure
 * OpenAI fake (chat completions) as the upstream. Text, streaming (order, sequence numbers, timing), billing.
 */

// gpt-4o-mini catalog prices in micro-USD per MTok: input 150000, cached 75000, output 600000.
const costOf = tokenCost({ input: 150_000, cached: 75_000, output: 600_000 });

describe('POST /responses through an Azure deployment', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({ fake: { chunkDelayMs: 25 }, deployments: [{ name: 'eastus-1' }] });
    ({ fake, gw, key } = setup);
    return setup.close;
  });

  const last = () => fake.requests[fake.requests.length - 1]!;

  it('answers text, reports Responses usage and bills exactly the upstream usage', async () => {
    fake.setOptions({ reply: () => ({ content: 'Hello there', usage: { prompt_tokens: 1000, cached_tokens: 200, completion_tokens: 500 } }) });
    const before = await gw.wallet();
    const { data: response, response: http } = await gw
      .openai(key)
      .responses.create({ model: 'gpt-4o-mini', instructions: 'Be brief.', input: 'Hi', max_output_tokens: 2000, temperature: 0.3 })
      .withResponse();

    expect(response.output_text).toBe('Hello there');
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4o-mini', max_output_tokens: 2000, temperature: 0.3, instructions: 'Be brief.' });
    expect(response.usage).toEqual({
      input_tokens: 1000,
      input_tokens_details: { cached_tokens: 200 },
      output_tokens: 500,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 1500,
    });
    expect(response.output).toHaveLength(1);
    expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello there' }] });

    // The upstream got a chat body: instructions as the system turn, the output cap as max_completion_tokens.
    expect(last().path).toBe('/openai/deployments/gpt-4o-mini/chat/completions');
    expect(last().body).toMatchObject({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], max_completion_tokens: 2000, temperature: 0.3 });
    expect(last().body).not.toHaveProperty('input');

    const requestId = http.headers.get('x-omixa-request-id')!;
    expect(response.id).toBe(`resp_${requestId.replace(/^req_/, '')}`);
    const after = await gw.wallet();
    expect(costOf(1000, 200, 500)).toBe(435);
    expect(before.balance_micros - after.balance_micros).toBe(435);
    expect(after.locked_micros).toBe(0);
    const row = await gw.admin('GET', `/admin/api/usage/requests/${requestId}`);
    expect(row).toMatchObject({ endpoint: 'responses', status: 'ok', stream: false, prompt_tokens: 1000, cached_tokens: 200, completion_tokens: 500, cost_micros: 435 });
  });

  it('is served under /api/v1 too', async () => {
    fake.setOptions({ reply: undefined });
    const response = await gw.openai(key, { basePath: '/api/v1' }).responses.create({ model: 'gpt-4o-mini', input: [{ role: 'user', content: 'ping' }] });
    expect(response.output_text).toBe('Echo: ping');
  });

  it('streams the Responses events in order, spread over time, and bills the stream', async () => {
    fake.setOptions({ reply: () => ({ content: 'one two three four five six seven eight', usage: { prompt_tokens: 40, completion_tokens: 8 } }) });
    const before = await gw.wallet();
    const stream = await gw.openai(key).responses.create({ model: 'gpt-4o-mini', input: 'count', stream: true });
    const events: { type: string; sequence_number: number; at: number; [k: string]: any }[] = [];
    for await (const event of stream) events.push({ ...event, at: performance.now() });

    const types = events.map((e) => e.type);
    const deltas = events.filter((e) => e.type === 'response.output_text.delta');
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(deltas).toHaveLength(8);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const itemId = events[2]!.item.id;
    expect(deltas.every((d) => d.item_id === itemId && d.output_index === 0 && d.content_index === 0)).toBe(true);
    expect(deltas.map((d) => d.delta).join('')).toBe('one two three four five six seven eight');

    // 8 pieces 25 ms apart upstream: forwarded one by one, not bunched at the end (a little slack for a loaded CI box).
    const spread = deltas[deltas.length - 1]!.at - deltas[0]!.at;
    expect(spread).toBeGreaterThan(7 * 25 * 0.7);
    const gaps = deltas.slice(1).map((d, i) => d.at - deltas[i]!.at);
    expect(gaps.filter((g) => g > 10).length).toBeGreaterThanOrEqual(5);

    const completed = events[events.length - 1]!.response;
    expect(completed).toMatchObject({ status: 'completed', usage: { input_tokens: 40, output_tokens: 8, total_tokens: 48 } });
    expect(completed.id).toBe(events[0]!.response.id);
    expect(last().body.stream_options).toEqual({ include_usage: true });
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(costOf(40, 0, 8));
    expect(after.locked_micros).toBe(0);
  });

  it('works with the SDK stream helper: text deltas as events and finalResponse()', async () => {
    fake.setOptions({ reply: () => ({ content: 'alpha beta gamma', usage: { prompt_tokens: 12, completion_tokens: 3 } }) });
    const stream = gw.openai(key).responses.stream({ model: 'gpt-4o-mini', input: 'greek' });
    const snapshots: string[] = [];
    stream.on('response.output_text.delta', (event) => snapshots.push(event.snapshot));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('alpha beta gamma');
    expect(final.status).toBe('completed');
    expect(final.usage?.total_tokens).toBe(15);
    expect(snapshots).toEqual(['alpha', 'alpha beta', 'alpha beta gamma']);
  });

  it('frames every event with its `event:` name after the SSE headers and padding', async () => {
    fake.setOptions({ reply: () => ({ content: 'a b' }) });
    const res = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'hi', stream: true }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    const body = await res.text();
    expect(body.startsWith(':')).toBe(true);
    const frames = body.split('\n\n').filter((f) => f.startsWith('event: '));
    expect(frames.length).toBeGreaterThanOrEqual(10);
    for (const frame of frames) {
      const [eventLine, dataLine] = frame.split('\n');
      expect(JSON.parse(dataLine!.slice('data: '.length)).type).toBe(eventLine!.slice('event: '.length));
    }
    expect(body).not.toContain('[DONE]');
  });

  it('ends a stream that breaks upstream with response.failed and an error event, capturing nothing', async () => {
    fake.setOptions({ reply: () => ({ content: 'w1 w2 w3 w4 w5 w6 w7 w8 w9', failAfterEvents: 5 }) });
    const before = await gw.wallet();
    const { data: stream, response: http } = await gw.openai(key).responses.create({ model: 'gpt-4o-mini', input: 'break', stream: true }).withResponse();
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types.slice(-2)).toEqual(['response.failed', 'error']);
    const failed = events[events.length - 2].response;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'server_error' });
    expect(failed.output[0].status).toBe('incomplete');
    expect(events[events.length - 1]).toMatchObject({ code: 'upstream_error', param: null });

    const row = await gw.admin('GET', `/admin/api/usage/requests/${http.headers.get('x-omixa-request-id')}`);
    expect(row).toMatchObject({ endpoint: 'responses', status: 'error', error_code: 'upstream_error', cost_micros: 0 });
    expect(row.completion_tokens).toBeGreaterThan(0);
    const after = await gw.wallet();
    expect(after.balance_micros).toBe(before.balance_micros);
    expect(after.locked_micros).toBe(0);
  });

  it('aborts the upstream when the client disconnects and bills only what was generated', async () => {
    fake.setOptions({ reply: () => ({ content: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '), usage: { prompt_tokens: 30, completion_tokens: 40 } }) });
    const abortedBefore = fake.aborted;
    const controller = new AbortController();
    const { data: stream, response: http } = await gw
      .openai(key)
      .responses.create({ model: 'gpt-4o-mini', input: 'long', stream: true, max_output_tokens: 1000 }, { signal: controller.signal })
      .withResponse();
    let deltas = 0;
    try {
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') deltas++;
        if (deltas === 5) controller.abort();
      }
    } catch {
      // the SDK throws on abort
    }
    const requestId = http.headers.get('x-omixa-request-id')!;
    await expect.poll(() => fake.aborted, { timeout: 3000 }).toBeGreaterThan(abortedBefore);
    await expect.poll(async () => (await gw.admin('GET', `/admin/api/usage/requests/${requestId}`)).status, { timeout: 3000 }).toBe('cancelled');
    const row = await gw.admin('GET', `/admin/api/usage/requests/${requestId}`);
    expect(row.completion_tokens).toBeGreaterThan(0);
    expect(row.completion_tokens).toBeLessThan(40);
    expect(row.cost_micros).toBeLessThan(row.hold_micros);
    expect((await gw.wallet()).locked_micros).toBe(0);
    expect((await gw.admin('GET', '/admin/api/doctor')).ledger_ok).toBe(true);
  });

  it('lists /v1/responses among the chat model endpoints', async () => {
    const models = await gw.openai(key).models.list();
    const mini = models.data.find((m) => m.id === 'gpt-4o-mini') as unknown as { endpoints: string[] };
    expect(mini.endpoints).toContain('/v1/responses');
  });
});
