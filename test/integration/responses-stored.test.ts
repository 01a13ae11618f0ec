import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import { startTestGateway, tempDataDir, type TestGateway } from '../support/gateway.js';
import { tokenCost } from '../support/token-cost.js';

/**
 * Stored responses: `store` (default true), `previous_response_id` chaining, `GET/DELETE /responses/{id}` and
 * `GET /responses/{id}/input_items`, with the official `openai` SDK as the client and a real loopback Azure OpenAI
 * fake as the upstream (asserting on what the upstream received). Every stored response belongs to one account.
 */

// gpt-4o-mini catalog prices in micro-USD per MTok: input 150000, cached 75000, output 600000.
const costOf = tokenCost({ input: 150_000, cached: 75_000, output: 600_000 });

describe('stored responses and previous_response_id', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;
  let otherKey: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({ fake: { chunkDelayMs: 5 }, deployments: [{ name: 'eastus-1' }] });
    ({ fake, gw, key } = setup);
    const other = await gw.admin('POST', '/admin/api/accounts', { name: 'other-team' });
    await gw.topUp(10_000_000, 'other-team');
    otherKey = (await gw.createKey({ account: other.id ?? other.account?.id ?? 'other-team' })).key;
    return setup.close;
  });

  const last = () => fake.requests[fake.requests.length - 1]!;

  it('continues a conversation: the upstream gets the first turn and its answer before the new input, without the old instructions', async () => {
    const client = gw.openai(key);
    const before = await gw.wallet();
    fake.setOptions({ reply: () => ({ content: 'Hello Ada.', usage: { prompt_tokens: 30, completion_tokens: 4 } }) });
    const first = await client.responses.create({ model: 'gpt-4o-mini', instructions: 'Be brief.', input: 'My name is Ada.' });
    expect(first).toMatchObject({ status: 'completed', store: true, previous_response_id: null, output_text: 'Hello Ada.' });

    fake.setOptions({ reply: () => ({ content: 'Vous êtes Ada.', usage: { prompt_tokens: 60, cached_tokens: 20, completion_tokens: 5 } }) });
    const second = await client.responses.create({ model: 'gpt-4o-mini', instructions: 'Answer in French.', previous_response_id: first.id, input: 'What is my name?' });
    expect(second).toMatchObject({ status: 'completed', store: true, previous_response_id: first.id, instructions: 'Answer in French.', output_text: 'Vous êtes Ada.' });
    expect(last().body.messages).toEqual([
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Hello Ada.' },
      { role: 'user', content: 'What is my name?' },
    ]);

    // A third turn carries the whole chain, oldest first.
    fake.setOptions({ reply: () => ({ content: 'Au revoir.', usage: { prompt_tokens: 90, completion_tokens: 3 } }) });
    const third = await client.responses.create({ model: 'gpt-4o-mini', previous_response_id: second.id, input: [{ role: 'user', content: 'Bye.' }] });
    expect(third.previous_response_id).toBe(second.id);
    expect(last().body.messages).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Hello Ada.' },
      { role: 'user', content: 'What is my name?' },
      { role: 'assistant', content: 'Vous êtes Ada.' },
      { role: 'user', content: 'Bye.' },
    ]);

    // Billing is the upstream usage of each call, the rebuilt conversation included, to the micro-dollar.
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(costOf(30, 0, 4) + costOf(60, 20, 5) + costOf(90, 0, 3));
    expect(after.locked_micros).toBe(0);
  });

  it('retrieves a stored response exactly as it was returned, under /v1 and /api/v1', async () => {
    fake.setOptions({ reply: () => ({ content: 'Stored.', usage: { prompt_tokens: 10, completion_tokens: 2 } }) });
    const created = await gw.openai(key).responses.create({ model: 'gpt-4o-mini', input: 'keep this', metadata: { topic: 'test' }, max_output_tokens: 100 });
    expect(await gw.openai(key).responses.retrieve(created.id)).toEqual(created);
    expect(await gw.openai(key, { basePath: '/api/v1' }).responses.retrieve(created.id)).toEqual(created);
  });

  it('streams a two-turn conversation: events say store and previous_response_id, the stored response is the completed one', async () => {
    const client = gw.openai(key);
    const before = await gw.wallet();
    fake.setOptions({ reply: () => ({ content: 'one two three', usage: { prompt_tokens: 20, completion_tokens: 3 } }) });
    const events1: any[] = [];
    for await (const event of await client.responses.create({ model: 'gpt-4o-mini', input: 'count to three', stream: true })) events1.push(event);
    const completed1 = events1[events1.length - 1];
    expect(completed1.type).toBe('response.completed');
    expect(events1[0].response).toMatchObject({ store: true, previous_response_id: null });
    const firstId: string = completed1.response.id;

    fake.setOptions({ reply: () => ({ content: 'four five', usage: { prompt_tokens: 35, completion_tokens: 2 } }) });
    const events2: any[] = [];
    for await (const event of await client.responses.create({ model: 'gpt-4o-mini', input: 'go on', previous_response_id: firstId, stream: true })) events2.push(event);
    expect(events2[0]).toMatchObject({ type: 'response.created', response: { store: true, previous_response_id: firstId } });
    const completed2 = events2[events2.length - 1];
    expect(completed2).toMatchObject({ type: 'response.completed', response: { status: 'completed', previous_response_id: firstId, store: true } });
    expect(last().body.stream).toBe(true);
    expect(last().body.messages).toEqual([
      { role: 'user', content: 'count to three' },
      { role: 'assistant', content: 'one two three' },
      { role: 'user', content: 'go on' },
    ]);

    const retrieved = await client.responses.retrieve(completed2.response.id);
    const { output_text: text, ...stored } = retrieved;
    expect(text).toBe('four five');
    expect(stored).toEqual(completed2.response);

    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(costOf(20, 0, 3) + costOf(35, 0, 2));
    expect(after.locked_micros).toBe(0);
  });

  it('continues after a function call with the tool output, as agent loops do', async () => {
    const client = gw.openai(key);
    fake.setOptions({ reply: () => ({ content: '', toolCalls: [{ id: 'call_w1', name: 'weather', arguments: '{"city":"Oslo"}' }] }) });
    const tools = [{ type: 'function' as const, name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];
    const call = await client.responses.create({ model: 'gpt-4o-mini', input: 'Weather in Oslo?', tools });
    expect(call.output[0]).toMatchObject({ type: 'function_call', call_id: 'call_w1', name: 'weather' });

    fake.setOptions({ reply: () => ({ content: 'It is 3 °C in Oslo.' }) });
    const answer = await client.responses.create({
      model: 'gpt-4o-mini',
      tools,
      previous_response_id: call.id,
      input: [{ type: 'function_call_output', call_id: 'call_w1', output: '{"celsius":3}' }],
    });
    expect(answer.output_text).toBe('It is 3 °C in Oslo.');
    expect(last().body.messages).toEqual([
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call_w1', content: '{"celsius":3}' },
    ]);
  });

  it('lists the input items of a response (not its instructions), newest first by default, with cursor pages', async () => {
    const client = gw.openai(key);
    fake.setOptions({ reply: undefined });
    const created = await client.responses.create({
      model: 'gpt-4o-mini',
      instructions: 'Not an input item.',
      input: [
        { role: 'developer', content: 'Rules.' },
        { role: 'user', content: [{ type: 'input_text', text: 'first' }] },
        { type: 'message', role: 'assistant', content: 'an answer' },
        { role: 'user', content: 'second' },
      ],
    });

    const page = await client.responses.inputItems.list(created.id);
    expect(page.data.map((item: any) => item.content[0].text)).toEqual(['second', 'an answer', 'first', 'Rules.']);
    expect(page.data.every((item) => item.type === 'message' && item.id.startsWith('msg_'))).toBe(true);
    expect(page.data[1]).toMatchObject({ role: 'assistant', content: [{ type: 'output_text', text: 'an answer' }] });
    expect(page.data[0]).toMatchObject({ role: 'user', content: [{ type: 'input_text', text: 'second' }] });
    expect(page.has_more).toBe(false);

    const asc = await client.responses.inputItems.list(created.id, { order: 'asc', limit: 3 });
    expect(asc.data.map((item: any) => item.content[0].text)).toEqual(['Rules.', 'first', 'an answer']);
    expect(asc.has_more).toBe(true);
    const raw = await fetch(`${gw.url}/v1/responses/${created.id}/input_items?order=asc&limit=3`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.json());
    expect(raw).toMatchObject({ object: 'list', first_id: asc.data[0]!.id, last_id: asc.data[2]!.id, has_more: true });
    const all: string[] = [];
    for await (const item of client.responses.inputItems.list(created.id, { order: 'asc', limit: 1 })) all.push((item as any).content[0].text);
    expect(all).toEqual(['Rules.', 'first', 'an answer', 'second']);

    // The ids stay the same from one listing to the next.
    expect((await client.responses.inputItems.list(created.id)).data.map((i) => i.id)).toEqual(page.data.map((i) => i.id));
    const bad = await client.responses.inputItems.list(created.id, { limit: 0 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('limit');
  });

  it('deletes a stored response: then it cannot be retrieved, listed or continued', async () => {
    const client = gw.openai(key);
    fake.setOptions({ reply: undefined });
    const created = await client.responses.create({ model: 'gpt-4o-mini', input: 'forget me' });
    const res = await fetch(`${gw.url}/v1/responses/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: created.id, object: 'response.deleted', deleted: true });

    const missing = await client.responses.retrieve(created.id).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('not_found');
    expect(await client.responses.inputItems.list(created.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await client.responses.delete(created.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    const calls = fake.requests.length;
    const continued = await client.responses.create({ model: 'gpt-4o-mini', input: 'x', previous_response_id: created.id }).catch((e: unknown) => e);
    expect(continued).toBeInstanceOf(OpenAI.NotFoundError);
    expect((continued as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('previous_response_id');
    expect(fake.requests.length).toBe(calls);

    // A conversation whose earlier response is gone cannot be continued: its start would be silently missing.
    const first = await client.responses.create({ model: 'gpt-4o-mini', input: 'turn one' });
    const second = await client.responses.create({ model: 'gpt-4o-mini', input: 'turn two', previous_response_id: first.id });
    await client.responses.delete(first.id);
    expect((await client.responses.retrieve(second.id)).id).toBe(second.id);
    const before = fake.requests.length;
    const broken = await client.responses.create({ model: 'gpt-4o-mini', input: 'turn three', previous_response_id: second.id }).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(OpenAI.NotFoundError);
    expect((broken as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('previous_response_id');
    expect((broken as Error).message).toContain(first.id);
    expect(fake.requests.length).toBe(before);

    // The SDK's own delete works too.
    const another = await client.responses.create({ model: 'gpt-4o-mini', input: 'and me' });
    await client.responses.delete(another.id);
    expect(await client.responses.retrieve(another.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("keeps each account's responses to itself: another account's key can neither read, continue nor delete them", async () => {
    fake.setOptions({ reply: undefined });
    const mine = await gw.openai(key).responses.create({ model: 'gpt-4o-mini', input: 'private' });
    const theirs = gw.openai(otherKey);
    const calls = fake.requests.length;
    const before = await gw.wallet('other-team');

    const read = await theirs.responses.retrieve(mine.id).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(OpenAI.NotFoundError);
    expect((read as InstanceType<typeof OpenAI.NotFoundError>).message).not.toContain('private');
    expect(await theirs.responses.inputItems.list(mine.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await theirs.responses.delete(mine.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    const continued = await theirs.responses.create({ model: 'gpt-4o-mini', input: 'x', previous_response_id: mine.id }).catch((e: unknown) => e);
    expect(continued).toBeInstanceOf(OpenAI.NotFoundError);
    expect((continued as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('previous_response_id');

    expect(fake.requests.length).toBe(calls);
    expect((await gw.wallet('other-team')).balance_micros).toBe(before.balance_micros);
    expect(await gw.openai(key).responses.retrieve(mine.id)).toEqual(mine);
  });

  it('store: false keeps nothing: the response says so and cannot be retrieved or continued', async () => {
    const client = gw.openai(key);
    fake.setOptions({ reply: undefined });
    const transient = await client.responses.create({ model: 'gpt-4o-mini', input: 'ephemeral', store: false });
    expect(transient).toMatchObject({ store: false });
    expect(await client.responses.retrieve(transient.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    const continued = await client.responses.create({ model: 'gpt-4o-mini', input: 'x', previous_response_id: transient.id }).catch((e: unknown) => e);
    expect(continued).toBeInstanceOf(OpenAI.NotFoundError);

    const events: any[] = [];
    for await (const event of await client.responses.create({ model: 'gpt-4o-mini', input: 'ephemeral stream', store: false, stream: true })) events.push(event);
    const done = events[events.length - 1];
    expect(done.response.store).toBe(false);
    expect(await client.responses.retrieve(done.response.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);

    // A stored response can still be continued without storing the continuation.
    const kept = await client.responses.create({ model: 'gpt-4o-mini', input: 'kept' });
    const next = await client.responses.create({ model: 'gpt-4o-mini', input: 'not kept', previous_response_id: kept.id, store: false });
    expect(next).toMatchObject({ store: false, previous_response_id: kept.id });
    expect(await client.responses.retrieve(next.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('refuses to continue a conversation past the chain bound with a 400, calling nothing', async () => {
    const client = gw.openai(key);
    fake.setOptions({ reply: undefined });
    const created = await client.responses.create({ model: 'gpt-4o-mini', input: 'long story' });
    gw.gateway.store.db.prepare('UPDATE responses SET chain_depth = 1000 WHERE id = ?').run(created.id);
    const calls = fake.requests.length;
    const err = await client.responses.create({ model: 'gpt-4o-mini', input: 'more', previous_response_id: created.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('previous_response_id');
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/too long/);
    expect(fake.requests.length).toBe(calls);
  });

  it('does not store a response whose stream failed', async () => {
    fake.setOptions({ reply: () => ({ content: 'w1 w2 w3 w4 w5 w6', failAfterEvents: 3 }) });
    const events: any[] = [];
    for await (const event of await gw.openai(key).responses.create({ model: 'gpt-4o-mini', input: 'break', stream: true })) events.push(event);
    const failed = events[events.length - 2];
    expect(failed.type).toBe('response.failed');
    expect(await gw.openai(key).responses.retrieve(failed.response.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('stored responses retention', () => {
  it('deletes the responses past 30 days when the gateway starts, and keeps the recent ones', async () => {
    const dataDir = tempDataDir();
    const first = await startTestGateway({ dataDir });
    const accountId: string = (await first.admin('GET', '/admin/api/accounts/default')).id;
    const keep = { accountId, model: 'gpt-4o-mini', previousResponseId: null, response: '{}', inputItems: '[]', bytes: 0 };
    first.gateway.store.responses.insert({ ...keep, id: 'resp_expired', createdAt: Date.now() - 31 * 24 * 3_600_000 });
    first.gateway.store.responses.insert({ ...keep, id: 'resp_recent', createdAt: Date.now() - 29 * 24 * 3_600_000 });
    await first.gateway.stop(1000);

    const second = await startTestGateway({ dataDir });
    try {
      expect(second.gateway.store.responses.response('resp_expired', accountId)).toBeUndefined();
      expect(second.gateway.store.responses.response('resp_recent', accountId)).toBe('{}');
    } finally {
      await second.close();
    }
  });
});
