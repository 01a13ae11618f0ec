/**
 * Checks the Azure OpenAI fake against the official `openai` SDK, so that gateway tests built on
 * the fake are exercising the same wire format a real Azure client understands.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import OpenAI, { AzureOpenAI, APIError } from 'openai';
import { startAzureFake, type AzureFake } from '../../support/fakes/azure-openai.js';

const API_VERSION = '2024-10-21';
const KEY = 'azure-secret-1';

let fake: AzureFake;

function client(apiKey = KEY): AzureOpenAI {
  return new AzureOpenAI({ endpoint: fake.url, apiKey, apiVersion: API_VERSION, deployment: 'gpt-4o-mini', maxRetries: 0 });
}

/** Resolves to the thrown APIError (the test fails if the call succeeds). */
async function apiError(p: Promise<unknown>): Promise<APIError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

const post = (path: string, body: string, headers: Record<string, string> = { 'api-key': KEY }) =>
  fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

beforeAll(async () => {
  fake = await startAzureFake({ chunkDelayMs: 25 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.setOptions({ reply: undefined, chunkDelayMs: 25, firstByteDelayMs: 0 });
  fake.requests.length = 0;
});

describe('Azure OpenAI fake', () => {
  it('answers a non-streaming chat completion with Azure annotations and default usage', async () => {
    const res = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] });

    expect(res.object).toBe('chat.completion');
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.model).toBe('gpt-4o-mini-2024-07-18');
    expect(res.choices[0].message).toMatchObject({ role: 'assistant', content: 'Echo: hello there', refusal: null });
    expect(res.choices[0].finish_reason).toBe('stop');
    // prompt: ceil(11 chars / 4) + 7 = 10; completion: ceil(17 chars / 4) = 5
    expect(res.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    expect(res.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    const raw = res as unknown as { prompt_filter_results: unknown[]; choices: { content_filter_results: object }[] };
    expect(raw.prompt_filter_results[0]).toMatchObject({ prompt_index: 0, content_filter_results: { hate: { filtered: false } } });
    expect(raw.choices[0].content_filter_results).toHaveProperty('violence');

    const seen = fake.requests[0];
    expect(seen.path).toBe('/openai/deployments/gpt-4o-mini/chat/completions');
    expect(seen.query['api-version']).toBe(API_VERSION);
    expect(seen.headers['api-key']).toBe(KEY);
    expect(seen.deployment).toBe('gpt-4o-mini');
    expect(seen.body.messages[0].content).toBe('hello there');
  });

  it('reports usage exactly as given by a reply override, including cached and reasoning tokens', async () => {
    fake.setOptions({ reply: () => ({ content: 'ok', usage: { prompt_tokens: 1200, completion_tokens: 34, cached_tokens: 1024, reasoning_tokens: 16 } }) });
    const res = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    expect(res.usage).toMatchObject({
      prompt_tokens: 1200, completion_tokens: 34, total_tokens: 1234,
      prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 16 },
    });
  });

  it('streams content spread over time, with usage only in the final chunk when include_usage is set', async () => {
    const chunkDelayMs = 25;
    const text = 'one two three four five six seven';
    const stream = await client().chat.completions.create({
      model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], stream: true, stream_options: { include_usage: true },
    });
    const times: number[] = [];
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) {
      times.push(Date.now());
      chunks.push(c);
    }

    // Azure's annotation frame: no choices, prompt filter results instead.
    expect(chunks[0].choices).toEqual([]);
    expect(chunks[0]).toHaveProperty('prompt_filter_results');
    const content = chunks.flatMap((c) => c.choices.map((ch) => ch.delta?.content ?? '')).join('');
    expect(content).toBe(`Echo: ${text}`);
    expect(chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter(Boolean)).toEqual(['stop']);

    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: Math.ceil(text.length / 4) + 7, completion_tokens: Math.ceil(content.length / 4) });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();

    // 1 annotation + 1 role + 8 words + finish + usage = 12 events; real timers between each.
    expect(chunks.length).toBe(12);
    const n = chunks.length;
    expect(times[n - 1] - times[0]).toBeGreaterThanOrEqual((n - 2) * chunkDelayMs * 0.7);
  });

  it('omits usage and usage:null fields when include_usage is not requested', async () => {
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
  });

  it('streams tool calls whose arguments reassemble, with id and name only in the first delta', async () => {
    const args = '{"city":"Paris","unit":"celsius"}';
    fake.setOptions({
      reply: () => ({ toolCalls: [{ id: 'call_weather', name: 'get_weather', arguments: args }, { name: 'get_time', arguments: '{"tz":"CET"}' }] }),
    });
    const stream = await client().chat.completions.create({
      model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'weather?' }], stream: true,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    });
    const calls: { id?: string; name?: string; args: string; deltas: number }[] = [];
    let finish: string | null = null;
    for await (const c of stream) {
      const choice = c.choices[0];
      if (!choice) continue;
      finish = choice.finish_reason ?? finish;
      for (const tc of choice.delta.tool_calls ?? []) {
        const slot = (calls[tc.index] ??= { args: '', deltas: 0 });
        if (tc.id) {
          expect(slot.id).toBeUndefined(); // id appears once
          slot.id = tc.id;
        }
        if (tc.function?.name) slot.name = tc.function.name;
        slot.args += tc.function?.arguments ?? '';
        slot.deltas++;
      }
    }
    expect(finish).toBe('tool_calls');
    expect(calls[0]).toMatchObject({ id: 'call_weather', name: 'get_weather', args });
    expect(calls[0].deltas).toBeGreaterThan(2);
    expect(calls[1].id).toMatch(/^call_/);
    expect(calls[1]).toMatchObject({ name: 'get_time', args: '{"tz":"CET"}' });
  });

  it('returns non-streaming tool calls with finish_reason tool_calls and null content', async () => {
    fake.setOptions({ reply: () => ({ content: '', toolCalls: [{ id: 'call_1', name: 'f', arguments: '{}' }] }) });
    const res = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    expect(res.choices[0].message.content).toBeNull();
    expect(res.choices[0].message.tool_calls?.[0]).toMatchObject({ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } });
  });

  it('rejects a wrong key with an Azure-shaped 401', async () => {
    const err = await apiError(client('wrong').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }));
    expect(err.status).toBe(401);
    expect(err.code).toBe('401');
    expect(err.message).toContain('Access denied');
  });

  it('answers 429 with Retry-After and an Azure throttling message', async () => {
    fake.setOptions({ reply: () => ({ status: 429, retryAfterSeconds: 7 }) });
    const err = await apiError(client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }));
    expect(err.status).toBe(429);
    expect(err.headers?.get('retry-after')).toBe('7');
    expect(err.headers?.get('retry-after-ms')).toBe('7000');
    expect(err.message).toContain(`API version ${API_VERSION}`);
    expect(err.message).toContain('retry after 7 seconds');
    expect(fake.requests).toHaveLength(1); // maxRetries: 0
  });

  it('serves the v1 surface with a bearer key and the deployment in body.model', async () => {
    const v1 = new OpenAI({ baseURL: `${fake.url}/openai/v1/`, apiKey: KEY, maxRetries: 0 });
    const res = await v1.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'v1' }] });
    expect(res.choices[0].message.content).toBe('Echo: v1');
    expect(fake.requests[0]).toMatchObject({ path: '/openai/v1/chat/completions', deployment: 'gpt-4o-mini' });
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('maps unknown deployments, a missing api-version and malformed JSON to Azure errors', async () => {
    const unknown = await post(`/openai/deployments/nope/chat/completions?api-version=${API_VERSION}`, '{"messages":[]}');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('DeploymentNotFound');

    const noVersion = await post('/openai/deployments/gpt-4o-mini/chat/completions', '{"messages":[]}');
    expect(noVersion.status).toBe(404);
    expect(await noVersion.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });

    const bad = await post(`/openai/deployments/gpt-4o-mini/chat/completions?api-version=${API_VERSION}`, '{"messages":');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toHaveProperty('message');
    expect(fake.requests[2].body).toBe('{"messages":');
  });

  it('stalls a stream until the client aborts, and counts the abort', async () => {
    fake.setOptions({ reply: () => ({ stallAfterEvents: 2 }) });
    const before = fake.aborted;
    const ac = new AbortController();
    const res = await fetch(`${fake.url}/openai/deployments/gpt-4o-mini/chat/completions?api-version=${API_VERSION}`, {
      method: 'POST', headers: { 'api-key': KEY }, body: JSON.stringify({ messages: [], stream: true }), signal: ac.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        text += decoder.decode(value);
      }
    })().catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 200)); // well past chunkDelayMs: the fake is stalled, not slow
    expect(text.match(/^data: /gm)).toHaveLength(2);
    ac.abort();
    expect(await reading).toBe('aborted');
    await expect.poll(() => fake.aborted).toBe(before + 1);
  });

  it('destroys the socket after failAfterEvents events', async () => {
    fake.setOptions({ reply: () => ({ failAfterEvents: 3 }) });
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a b c d e' }], stream: true });
    let received = 0;
    await expect(
      (async () => {
        for await (const _ of stream) received++;
      })(),
    ).rejects.toThrow();
    expect(received).toBe(3);
  });

  it('delays response headers by firstByteDelayMs', async () => {
    fake.setOptions({ firstByteDelayMs: 150 });
    const t0 = Date.now();
    await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });
});
