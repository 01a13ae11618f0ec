import { beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { startGeminiFake, type GeminiFake } from '../support/fakes/gemini.js';
import { startFundedGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';
import { tokenCost } from '../support/token-cost.js';

// gemini-2.5-flash catalog prices in micro-USD per MTok: input 300000, cached 75000, output 2500000.
const costOf = tokenCost({ input: 300_000, cached: 75_000, output: 2_500_000 });

describe('OpenAI clients served by a Gemini API deployment', () => {
  let fake: GeminiFake;
  let gw: TestGateway;
  let key: string;
  let client: OpenAI;
  const lastSent = () => fake.requests[fake.requests.length - 1]!;

  beforeAll(async () => {
    const setup = await startFundedGateway(
      () => startGeminiFake({ chunkDelayMs: 25 }),
      (gw, fake) =>
        gw.admin('POST', '/admin/api/deployments', {
          name: 'gemini-1',
          provider: 'gemini',
          model: 'gemini-2.5-flash',
          endpoint: fake.url,
          deployment: 'gemini-2.5-flash',
          api_key: 'gemini-key-1',
        }),
    );
    ({ fake, gw, key, client } = setup);
    // Gemini's first event already carries text: let the first stream of the process pay its JIT warm-up here, so
    // the timing assertions below measure forwarding, not cold code paths.
    for await (const _ of await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'warm up' }], stream: true })) void _;
    return setup.close;
  });

  it('answers a chat call, sends the Gemini wire format and bills thinking tokens as output', async () => {
    fake.setOptions({ reply: () => ({ text: 'Bonjour !', thoughts: 'The user wants French.', usage: { prompt: 1000, cached: 200, candidates: 300, thoughts: 100 } }) });
    const before = await gw.wallet();
    const { data, response } = await client.chat.completions
      .create({
        model: 'gemini-2.5-flash',
        messages: [
          { role: 'system', content: 'Answer in French.' },
          { role: 'user', content: 'Hello' },
        ],
        max_tokens: 800,
        temperature: 0.5,
        stop: 'END',
        reasoning_effort: 'low',
      })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('gemini-2.5-flash');
    expect(data.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Bonjour !' }, finish_reason: 'stop' });
    expect(data.usage).toMatchObject({
      prompt_tokens: 1000,
      completion_tokens: 400,
      total_tokens: 1400,
      prompt_tokens_details: { cached_tokens: 200 },
      completion_tokens_details: { reasoning_tokens: 100 },
    });

    const sent = lastSent();
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe('gemini-key-1');
    expect(sent.query).toEqual({}); // the key never goes in the URL
    expect(JSON.stringify(sent.headers)).not.toContain(key);
    expect(sent.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
      systemInstruction: { parts: [{ text: 'Answer in French.' }] },
      generationConfig: { maxOutputTokens: 800, temperature: 0.5, stopSequences: ['END'], thinkingConfig: { thinkingBudget: 1024 } },
    });

    const expected = costOf(1000, 200, 400);
    expect(expected).toBe(1255);
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(expected);
    expect(after.locked_micros).toBe(0);
    const row = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
    expect(row).toMatchObject({ endpoint: 'chat.completions', deployment_name: 'gemini-1', prompt_tokens: 1000, cached_tokens: 200, completion_tokens: 400, reasoning_tokens: 100, cost_micros: expected });
  });

  it('normalises streamGenerateContent into chat.completion.chunk events, as they arrive, and bills the stream', async () => {
    fake.setOptions({ reply: () => ({ text: 'one two three four five six seven eight', usage: { prompt: 50, candidates: 8, thoughts: 4 } }) });
    const before = await gw.wallet();
    const stream = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'count' }], stream: true, stream_options: { include_usage: true } });
    const arrivals: number[] = [];
    let text = '';
    const finishes: string[] = [];
    const usages: OpenAI.CompletionUsage[] = [];
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) {
        arrivals.push(performance.now());
        text += delta;
      }
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usages.push(chunk.usage);
    }
    expect(text).toBe('one two three four five six seven eight');
    expect(finishes).toEqual(['stop']);
    expect(usages).toEqual([expect.objectContaining({ prompt_tokens: 50, completion_tokens: 12, total_tokens: 62 })]);
    expect(arrivals[arrivals.length - 1]! - arrivals[0]!).toBeGreaterThan(7 * 25 * 0.7);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    // Most gaps stay open; one or two may close when a loaded machine stalls a timer.
    expect(gaps.filter((g) => g > 10).length).toBeGreaterThanOrEqual(5);
    expect(lastSent().path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(lastSent().query).toEqual({ alt: 'sse' });
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(costOf(50, 0, 12));
  });

  it('ends the raw SSE with data: [DONE] and forwards usage only when asked', async () => {
    fake.setOptions({ reply: () => ({ text: 'a b c', usage: { prompt: 7, candidates: 3 } }) });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const body = await res.text();
    expect(body.startsWith(':')).toBe(true);
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const data = body.split('\n\n').filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]').map((e) => JSON.parse(e.slice(6)));
    expect(data.length).toBeGreaterThanOrEqual(4);
    for (const chunk of data) expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: 'gemini-2.5-flash', id: expect.stringMatching(/^chatcmpl-/) });
    expect(data.some((c) => c.usage)).toBe(false);
    expect(data.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('a b c');
  });

  it('maps tools out and functionCall parts back as tool_calls, then answers the tool result', async () => {
    fake.setOptions({ reply: () => ({ functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }, { name: 'get_time', args: { tz: 'CET' } }], usage: { prompt: 90, candidates: 20 } }) });
    const tools: OpenAI.ChatCompletionFunctionTool[] = [
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } } },
      { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } } },
    ];
    const before = await gw.wallet();
    const first = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Weather and time in Paris?' }], tools, tool_choice: 'required' });
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls).toHaveLength(2);
    const [weather, time] = message.tool_calls! as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(weather!.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(weather!.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(time!.function).toEqual({ name: 'get_time', arguments: '{"tz":"CET"}' });
    expect(lastSent().body.tools).toEqual([
      {
        functionDeclarations: [
          { name: 'get_weather', description: 'Weather', parametersJsonSchema: tools[0]!.function.parameters },
          { name: 'get_time', parametersJsonSchema: tools[1]!.function.parameters },
        ],
      },
    ]);
    expect(lastSent().body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    const mid = await gw.wallet();
    expect(before.balance_micros - mid.balance_micros).toBe(costOf(90, 0, 20));

    fake.setOptions({ reply: () => ({ text: 'Sunny, 14:00.', usage: { prompt: 130, candidates: 6 } }) });
    const second = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      tools,
      messages: [
        { role: 'user', content: 'Weather and time in Paris?' },
        message as OpenAI.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: time!.id, content: '14:00' },
        { role: 'tool', tool_call_id: weather!.id, content: '{"sky":"sunny"}' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('Sunny, 14:00.');
    expect(lastSent().body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather and time in Paris?' }] },
      {
        role: 'model',
        parts: [
          // The thought signature Gemini issued comes back with its call (carried in the tool call's extra_content).
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2lnbmF0dXJl' },
          { functionCall: { name: 'get_time', args: { tz: 'CET' } } },
        ],
      },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'get_time', response: { output: '14:00' } } }, { functionResponse: { name: 'get_weather', response: { sky: 'sunny' } } }],
      },
    ]);
    const after = await gw.wallet();
    expect(mid.balance_micros - after.balance_micros).toBe(costOf(130, 0, 6));
  });

  it('streams tool calls with ids, names and JSON arguments', async () => {
    fake.setOptions({ reply: () => ({ text: '', functionCalls: [{ name: 'lookup', args: { q: 'omixa', n: 2 } }], usage: { prompt: 20, candidates: 5 } }) });
    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'find' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      stream: true,
    });
    let id = '';
    let name = '';
    let args = '';
    let finish = '';
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta?.tool_calls?.[0];
      if (call?.id) id = call.id;
      if (call?.function?.name) name = call.function.name;
      if (call?.function?.arguments) args += call.function.arguments;
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(id).toMatch(/^call_/);
    expect(name).toBe('lookup');
    expect(JSON.parse(args)).toEqual({ q: 'omixa', n: 2 });
    expect(finish).toBe('tool_calls');
    expect(lastSent().body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } });
  });

  it('sends images as inlineData and fileData, and JSON mode as responseMimeType', async () => {
    fake.setOptions({ reply: undefined });
    await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'compare' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.webp' } },
          ],
        },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { same: { type: 'boolean' } } } } },
    });
    const body = lastSent().body;
    expect(body.contents[0].parts).toEqual([
      { text: 'compare' },
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
      { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp' } },
    ]);
    expect(body.generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: { type: 'object', properties: { same: { type: 'boolean' } } } });
  });

  it('ends a stream cut by the upstream with an error event and captures nothing', async () => {
    fake.setOptions({ reply: () => ({ text: 'alpha beta gamma delta epsilon', failAfterEvents: 3, usage: { prompt: 10, candidates: 5 } }) });
    const before = await gw.wallet();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await res.text();
    expect(body).toContain('"code":"upstream_error"');
    expect(body).not.toContain('[DONE]');
    const row = await gw.admin('GET', `/admin/api/usage/requests/${res.headers.get('x-omixa-request-id')}`);
    expect(row).toMatchObject({ status: 'error', error_code: 'upstream_error' });
    // The tokens that were sent stay on the row; a failed call costs nothing (API.md §6).
    expect(row.completion_tokens).toBeGreaterThan(0);
    expect(row.cost_micros).toBe(0);
    const after = await gw.wallet();
    expect(after.balance_micros).toBe(before.balance_micros);
    expect(after.locked_micros).toBe(0);
  });

  it('serves @google/genai clients end to end through the IR (Gemini in, Gemini out)', async () => {
    fake.setOptions({ reply: () => ({ text: 'ja nein', functionCalls: [{ name: 'f', args: { k: 'v' } }], usage: { prompt: 30, candidates: 5, thoughts: 2 } }) });
    const before = await gw.wallet();
    const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: gw.url } });
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'hi',
      config: { tools: [{ functionDeclarations: [{ name: 'f', parametersJsonSchema: { type: 'object' } }] }] },
    });
    let text = '';
    const calls = [];
    let usage;
    for await (const chunk of stream) {
      // Reading .text of a part list with calls makes the SDK warn: take calls and text apart.
      if (chunk.functionCalls) calls.push(...chunk.functionCalls);
      else text += chunk.text ?? '';
      usage = chunk.usageMetadata ?? usage;
    }
    expect(text).toBe('ja nein');
    expect(calls).toEqual([{ id: expect.stringMatching(/^call_/), name: 'f', args: { k: 'v' } }]);
    expect(usage).toEqual({ promptTokenCount: 30, candidatesTokenCount: 5, thoughtsTokenCount: 2, totalTokenCount: 37 });
    expect(lastSent().body.tools).toEqual([{ functionDeclarations: [{ name: 'f', parametersJsonSchema: { type: 'object' } }] }]);
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(costOf(30, 0, 7));
  });

  it('turns upstream failures into OpenAI-shaped errors', async () => {
    fake.setOptions({ reply: () => ({ status: 503 }) });
    const err = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(502);
    expect((err as { error?: { code?: string } }).error?.code).toBe('upstream_error');
    fake.setOptions({ reply: undefined });
  });
});
