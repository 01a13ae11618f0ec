import { beforeAll, describe, expect, it } from 'vitest';
import { ApiError, GoogleGenAI, Type } from '@google/genai';
import { startAzureFake, type AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { tokenCost } from '../support/token-cost.js';

// gpt-4o-mini catalog prices in micro-USD per MTok: input 150000, cached 75000, output 600000.
const costOf = tokenCost({ input: 150_000, cached: 75_000, output: 600_000 });

const contents = [{ role: 'user', parts: [{ text: 'count to eight' }] }];

/** A Gemini call with Node fetch (what curl users and plain REST clients do). */
const postGemini = (url: string, key: string, path: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'x-goog-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body), signal });

/**
 * Reads a streamed body piece by piece as it arrives; `elementArrivals` holds when each GenerateContentResponse was
 * complete (each ends with its `responseId`). `stopAfter` aborts the read once that many have arrived.
 */
async function readIncrementally(res: Response, stopAfter?: { elements: number; abort: AbortController }) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const elementArrivals: number[] = [];
  let text = '';
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += decoder.decode(chunk.value, { stream: true });
      const complete = text.split('"responseId":').length - 1;
      while (elementArrivals.length < complete) elementArrivals.push(performance.now());
      if (stopAfter && elementArrivals.length >= stopAfter.elements) stopAfter.abort.abort();
    }
  } catch (err) {
    if (!stopAfter) throw err;
  }
  return { text, elementArrivals };
}

const sseData = (body: string) =>
  body
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
const withoutResponseId = ({ responseId: _, ...rest }: Record<string, unknown>) => rest;
const textOf = (elements: { candidates?: { content: { parts: { text?: string }[] } }[] }[]) =>
  elements.map((e) => e.candidates?.map((c) => c.content.parts.map((p) => p.text ?? '').join('')).join('') ?? '').join('');

describe('@google/genai clients served by an Azure deployment', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;
  let ai: GoogleGenAI;
  const lastSent = () => fake.requests[fake.requests.length - 1]!.body;

  beforeAll(async () => {
    const setup = await startAzureGateway({ fake: { chunkDelayMs: 25 }, deployments: [{ name: 'eastus-1' }] });
    ({ fake, gw, key } = setup);
    ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: gw.url } });
    return setup.close;
  });

  it('answers generateContent, translates the request and bills the upstream usage exactly', async () => {
    fake.setOptions({ reply: () => ({ content: 'Bonjour', usage: { prompt_tokens: 1200, cached_tokens: 400, completion_tokens: 300 } }) });
    const before = await gw.wallet();
    const res = await ai.models.generateContent({
      model: 'gpt-4o-mini',
      contents: 'Say hello in French',
      config: { systemInstruction: 'You are terse.', maxOutputTokens: 500, temperature: 0.3, topP: 0.9, stopSequences: ['END'] },
    });
    expect(res.text).toBe('Bonjour');
    expect(res.candidates?.[0]?.finishReason).toBe('STOP');
    expect(res.usageMetadata).toMatchObject({ promptTokenCount: 1200, candidatesTokenCount: 300, totalTokenCount: 1500, cachedContentTokenCount: 400 });
    expect(res.modelVersion).toBe('gpt-4o-mini');
    const requestId = res.sdkHttpResponse?.headers?.['x-omixa-request-id'];
    expect(requestId).toMatch(/^req_/);
    expect(res.responseId).toBe(requestId);

    expect(lastSent()).toMatchObject({
      messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello in French' }],
      max_tokens: 500,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['END'],
    });
    expect(lastSent().stream).toBeUndefined();

    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(costOf(1200, 400, 300));
    expect(after.locked_micros).toBe(0);
    const row = await gw.admin('GET', `/admin/api/usage/requests/${requestId}`);
    expect(row).toMatchObject({ endpoint: 'generateContent', status: 'ok', prompt_tokens: 1200, cached_tokens: 400, completion_tokens: 300, cost_micros: costOf(1200, 400, 300) });
  });

  it('streams generateContentStream as SSE events spread over time, usage on the last, and bills the stream', async () => {
    fake.setOptions({ reply: () => ({ content: 'one two three four five six seven eight', usage: { prompt_tokens: 60, completion_tokens: 9 } }) });
    const before = await gw.wallet();
    const stream = await ai.models.generateContentStream({ model: 'gpt-4o-mini', contents: [{ role: 'user', parts: [{ text: 'count to eight' }] }] });
    const arrivals: number[] = [];
    let text = '';
    let last: Awaited<ReturnType<typeof stream.next>>['value'];
    for await (const chunk of stream) {
      arrivals.push(performance.now());
      text += chunk.text ?? '';
      last = chunk;
    }
    expect(text).toBe('one two three four five six seven eight');
    expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last?.usageMetadata).toMatchObject({ promptTokenCount: 60, candidatesTokenCount: 9, totalTokenCount: 69 });
    // Eight words 25 ms apart upstream: forwarded one by one, not bunched at the end.
    expect(arrivals[arrivals.length - 1]! - arrivals[0]!).toBeGreaterThan(7 * 25 * 0.7);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    // Most gaps stay open; one or two may close when a loaded machine stalls a timer.
    expect(gaps.filter((g) => g > 10).length).toBeGreaterThanOrEqual(5);
    expect(lastSent()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(costOf(60, 0, 9));
  });

  it('sends the SSE headers, padding first, data events without [DONE]', async () => {
    fake.setOptions({ reply: () => ({ content: 'a b', usage: { prompt_tokens: 5, completion_tokens: 2 } }) });
    const res = await fetch(`${gw.url}/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=sse&key=${key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    const body = await res.text();
    expect(body.startsWith(':')).toBe(true);
    expect(body).not.toContain('[DONE]');
    const events = body.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => JSON.parse(e.slice(6)));
    expect(events.map((e) => e.candidates[0].content.parts[0].text).join('')).toBe('a b');
    expect(events[events.length - 1]).toMatchObject({ usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2 }, candidates: [{ finishReason: 'STOP' }] });
  });

  it('calls functions both ways: declarations and tool choice out, functionCall back, functionResponse answered', async () => {
    fake.setOptions({ reply: () => ({ toolCalls: [{ id: 'call_az1', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }], usage: { prompt_tokens: 80, completion_tokens: 12 } }) });
    const tools = [
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather for a city',
            parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING }, unit: { type: Type.STRING, enum: ['celsius', 'fahrenheit'], nullable: true } }, required: ['city'] },
          },
        ],
      },
    ];
    const before = await gw.wallet();
    const first = await ai.models.generateContent({
      model: 'gpt-4o-mini',
      contents: 'Weather in Paris?',
      config: { tools, toolConfig: { functionCallingConfig: { mode: 'ANY' as never, allowedFunctionNames: ['get_weather'] } } },
    });
    expect(first.functionCalls).toEqual([{ id: 'call_az1', name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } }]);
    const sent = lastSent();
    expect(sent.tools[0]).toEqual({
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: ['string', 'null'], enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
      },
    });
    expect(sent.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    const mid = await gw.wallet();
    expect(before.balance_micros - mid.balance_micros).toBe(costOf(80, 0, 12));

    fake.setOptions({ reply: () => ({ content: 'It is 18 degrees in Paris.', usage: { prompt_tokens: 120, completion_tokens: 10 } }) });
    const second = await ai.models.generateContent({
      model: 'gpt-4o-mini',
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: first.functionCalls![0] }] },
        { role: 'user', parts: [{ functionResponse: { id: 'call_az1', name: 'get_weather', response: { temperature: 18 } } }] },
      ],
      config: { tools },
    });
    expect(second.text).toBe('It is 18 degrees in Paris.');
    expect(lastSent().messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_az1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } }] },
      { role: 'tool', tool_call_id: 'call_az1', content: '{"temperature":18}' },
    ]);
    expect(lastSent().tool_choice).toBe('auto');
    const after = await gw.wallet();
    expect(mid.balance_micros - after.balance_micros).toBe(costOf(120, 0, 10));
  });

  it('streams a function call whole, on the last event', async () => {
    fake.setOptions({ reply: () => ({ toolCalls: [{ id: 'call_s1', name: 'lookup', arguments: '{"query":"omixa gateway","limit":3}' }], usage: { prompt_tokens: 30, completion_tokens: 8 } }) });
    const stream = await ai.models.generateContentStream({
      model: 'gpt-4o-mini',
      contents: 'search',
      config: { tools: [{ functionDeclarations: [{ name: 'lookup', parametersJsonSchema: { type: 'object', properties: { query: { type: 'string' } } } }] }] },
    });
    const calls = [];
    for await (const chunk of stream) calls.push(...(chunk.functionCalls ?? []));
    expect(calls).toEqual([{ id: 'call_s1', name: 'lookup', args: { query: 'omixa gateway', limit: 3 } }]);
    expect(lastSent().tools[0].function.parameters).toEqual({ type: 'object', properties: { query: { type: 'string' } } });
  });

  it('passes inline images through as image parts', async () => {
    fake.setOptions({ reply: undefined });
    await ai.models.generateContent({
      model: 'gpt-4o-mini',
      contents: [{ role: 'user', parts: [{ text: 'what is this?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] }],
      config: { responseMimeType: 'application/json', thinkingConfig: { thinkingBudget: 0 } },
    });
    const sent = lastSent();
    expect(sent.messages[0].content).toEqual([
      { type: 'text', text: 'what is this?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
    ]);
    expect(sent.response_format).toEqual({ type: 'json_object' });
    expect(sent.reasoning_effort).toBeUndefined(); // gpt-4o-mini takes none
  });

  it('raises the SDK ApiError with the right status, in Google error shape', async () => {
    const wrongKey = new GoogleGenAI({ apiKey: 'omx_live_wrongwrongwrongwrongwrongwrong', httpOptions: { baseUrl: gw.url } });
    const unauth = await wrongKey.models.generateContent({ model: 'gpt-4o-mini', contents: 'hi' }).catch((e: unknown) => e);
    expect(unauth).toBeInstanceOf(ApiError);
    expect((unauth as ApiError).status).toBe(401);

    const missing = await ai.models.generateContent({ model: 'no-such-model', contents: 'hi' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect((missing as ApiError).status).toBe(404);

    const account = await gw.admin('POST', '/admin/api/accounts', { name: 'broke-gemini' });
    const brokeKey = (await gw.createKey({ account: account.name ?? 'broke-gemini' })).key;
    const broke = new GoogleGenAI({ apiKey: brokeKey, httpOptions: { baseUrl: gw.url } });
    const poor = await broke.models.generateContentStream({ model: 'gpt-4o-mini', contents: 'hi' }).catch((e: unknown) => e);
    expect(poor).toBeInstanceOf(ApiError);
    expect((poor as ApiError).status).toBe(402);
    // The JSON-array form too: before the first byte an error is an ordinary status code and Google error body.
    const poorJson = await postGemini(gw.url, brokeKey, '/v1beta/models/gpt-4o-mini:streamGenerateContent', { contents });
    expect(poorJson.status).toBe(402);
    expect(await poorJson.json()).toEqual({ error: { code: 402, message: expect.any(String), status: 'RESOURCE_EXHAUSTED' } });

    const res = await fetch(`${gw.url}/v1beta/models/gpt-4o-mini:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { temperature: 'hot' } }),
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toEqual({ error: { code: 400, message: expect.stringContaining('generationConfig.temperature'), status: 'INVALID_ARGUMENT' } });
  });

  it('ends a stream the upstream cut with an error event that the SDK raises as ApiError', async () => {
    fake.setOptions({ reply: () => ({ content: 'one two three four five six', failAfterEvents: 4 }) });
    const stream = await ai.models.generateContentStream({ model: 'gpt-4o-mini', contents: 'count' });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.text ?? '';
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(502);
    expect(text).toBe('one two');
    expect((await gw.wallet()).locked_micros).toBe(0);
  });

  it('streams without alt=sse as one JSON array, element by element, equal to the SSE form and billed the same', async () => {
    fake.setOptions({ reply: () => ({ content: 'one two three four five six seven eight', usage: { prompt_tokens: 60, completion_tokens: 9 } }) });
    const path = '/v1beta/models/gpt-4o-mini:streamGenerateContent';
    const before = await gw.wallet();
    const res = await postGemini(gw.url, key, path, { contents });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const jsonId = res.headers.get('x-omixa-request-id')!;
    const { text, elementArrivals } = await readIncrementally(res);
    expect(text.startsWith('[{')).toBe(true);
    expect(text.endsWith('\r\n]')).toBe(true);
    expect(text).not.toContain('data:');
    expect(text).not.toContain('keep-alive');
    const elements = JSON.parse(text) as Record<string, any>[];
    expect(textOf(elements)).toBe('one two three four five six seven eight');
    expect(elements.every((e) => e.responseId === jsonId)).toBe(true);
    expect(elements.at(-1)).toMatchObject({ usageMetadata: { promptTokenCount: 60, candidatesTokenCount: 9, totalTokenCount: 69 }, candidates: [{ finishReason: 'STOP' }] });
    // Eight words 25 ms apart upstream: each element leaves as it is produced, not bunched at the end.
    expect(elementArrivals.length).toBe(elements.length);
    expect(elementArrivals.at(-1)! - elementArrivals[0]!).toBeGreaterThan(7 * 25 * 0.7);
    const gaps = elementArrivals.slice(1).map((t, i) => t - elementArrivals[i]!);
    expect(gaps.filter((g) => g > 10).length).toBeGreaterThanOrEqual(5);
    const mid = await gw.wallet();
    expect(before.balance_micros - mid.balance_micros).toBe(costOf(60, 0, 9));

    const sse = await postGemini(gw.url, key, `${path}?alt=sse`, { contents });
    const sseId = sse.headers.get('x-omixa-request-id')!;
    const events = sseData(await sse.text());
    expect(elements.map(withoutResponseId)).toEqual(events.map(withoutResponseId));
    const after = await gw.wallet();
    expect(mid.balance_micros - after.balance_micros).toBe(before.balance_micros - mid.balance_micros);
    expect(after.locked_micros).toBe(0);
    const billed = (row: Record<string, unknown>) => {
      const { endpoint, status, http_status, stream, prompt_tokens, cached_tokens, completion_tokens, cost_micros, error_code } = row;
      return { endpoint, status, http_status, stream, prompt_tokens, cached_tokens, completion_tokens, cost_micros, error_code };
    };
    const jsonRow = await gw.admin('GET', `/admin/api/usage/requests/${jsonId}`);
    const sseRow = await gw.admin('GET', `/admin/api/usage/requests/${sseId}`);
    expect(billed(jsonRow)).toEqual(billed(sseRow));
    expect(jsonRow).toMatchObject({ endpoint: 'generateContent', status: 'ok', prompt_tokens: 60, completion_tokens: 9, cost_micros: costOf(60, 0, 9) });
  });

  it('accepts alt=json as the JSON-array form', async () => {
    fake.setOptions({ reply: () => ({ content: 'a b', usage: { prompt_tokens: 5, completion_tokens: 2 } }) });
    const res = await postGemini(gw.url, key, '/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=json', { contents });
    expect(res.status).toBe(200);
    expect(textOf(JSON.parse(await res.text()))).toBe('a b');
  });

  it('ends a JSON-array stream the upstream cut with an error element, keeping the JSON valid', async () => {
    fake.setOptions({ reply: () => ({ content: 'one two three four five six', failAfterEvents: 4 }) });
    const res = await postGemini(gw.url, key, '/v1beta/models/gpt-4o-mini:streamGenerateContent', { contents });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-omixa-request-id')!;
    const { text } = await readIncrementally(res);
    expect(text.endsWith('\r\n]')).toBe(true);
    const elements = JSON.parse(text) as Record<string, any>[];
    expect(elements.at(-1)).toEqual({ error: { code: 502, message: 'The upstream stream ended before it was complete.', status: 'UNAVAILABLE' } });
    expect(textOf(elements.slice(0, -1))).toBe('one two');
    await expect.poll(async () => (await gw.admin('GET', `/admin/api/usage/requests/${requestId}`)).status).toBe('error');
    expect((await gw.wallet()).locked_micros).toBe(0);
  });

  it('aborts the upstream when a JSON-array client disconnects and bills only what was generated', async () => {
    fake.setOptions({ reply: () => ({ content: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '), usage: { prompt_tokens: 30, completion_tokens: 40 } }), chunkDelayMs: 30 });
    const abortedBefore = fake.aborted;
    const abort = new AbortController();
    const res = await postGemini(gw.url, key, '/v1beta/models/gpt-4o-mini:streamGenerateContent', { contents, generationConfig: { maxOutputTokens: 1000 } }, abort.signal);
    const requestId = res.headers.get('x-omixa-request-id')!;
    const { elementArrivals } = await readIncrementally(res, { elements: 5, abort });
    expect(elementArrivals.length).toBeGreaterThanOrEqual(5);
    await expect.poll(() => fake.aborted, { timeout: 3000 }).toBeGreaterThan(abortedBefore);
    await expect.poll(async () => (await gw.admin('GET', `/admin/api/usage/requests/${requestId}`)).status, { timeout: 3000 }).toBe('cancelled');
    const record = await gw.admin('GET', `/admin/api/usage/requests/${requestId}`);
    expect(record.completion_tokens).toBeGreaterThan(0);
    expect(record.completion_tokens).toBeLessThan(40);
    expect(record.cost_micros).toBeGreaterThan(0);
    expect((await gw.wallet()).locked_micros).toBe(0);
    fake.setOptions({ chunkDelayMs: 25 });
  });

  it('lists and gets the served chat models as Google Model resources', async () => {
    const names: string[] = [];
    for await (const model of await ai.models.list()) names.push(model.name!);
    expect(names).toEqual(['models/gpt-4o-mini']);
    const model = await ai.models.get({ model: 'gpt-4o-mini' });
    expect(model).toMatchObject({ name: 'models/gpt-4o-mini', outputTokenLimit: expect.any(Number) });
    const missing = await ai.models.get({ model: 'gpt-4o' }).catch((e: unknown) => e);
    expect((missing as ApiError).status).toBe(404);
  });

  it('refuses what it cannot serve with clear 400/404s, never a 500', async () => {
    const post = (path: string, body: unknown) => postGemini(gw.url, key, path, body);
    const proto = await post('/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=proto', { contents });
    expect(proto.status).toBe(400);
    expect((await proto.json()).error).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringContaining("alt='proto'") });
    const missingModel = await post('/v1beta/models/no-such-model:streamGenerateContent', { contents });
    expect(missingModel.status).toBe(404);
    expect(missingModel.headers.get('content-type')).toContain('application/json');
    expect(await missingModel.json()).toEqual({ error: { code: 404, message: expect.any(String), status: 'NOT_FOUND' } });
    const search = await post('/v1beta/models/gpt-4o-mini:generateContent', { contents, tools: [{ googleSearch: {} }] });
    expect(search.status).toBe(400);
    const unknownMethod = await post('/v1beta/models/gpt-4o-mini:embedContent', { contents });
    expect(unknownMethod.status).toBe(404);
    expect((await unknownMethod.json()).error.status).toBe('NOT_FOUND');
    for (const bad of [{}, { contents: [] }, { contents: 'hi' }, { contents: [{ role: 'user', parts: [{}] }] }, [1, 2]]) {
      const res = await post('/v1beta/models/gpt-4o-mini:generateContent', bad);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    }
  });
});

describe('the JSON-array form before the first byte', () => {
  it('fails over to the next deployment and streams from it, billed once', async () => {
    const failing = await startAzureFake({ reply: () => ({ status: 500 }) });
    const healthy = await startAzureFake({ chunkDelayMs: 5 });
    const gw = await startTestGateway();
    try {
      await gw.addAzureDeployment(failing, { name: 'd0', priority: 0 });
      await gw.addAzureDeployment(healthy, { name: 'd1', priority: 1 });
      await gw.topUp(10_000_000);
      const { key } = await gw.createKey();
      const before = await gw.wallet();
      const res = await postGemini(gw.url, key, '/v1beta/models/gpt-4o-mini:streamGenerateContent', { contents: [{ role: 'user', parts: [{ text: 'hi there' }] }] });
      expect(res.status).toBe(200);
      const requestId = res.headers.get('x-omixa-request-id')!;
      const elements = JSON.parse((await readIncrementally(res)).text) as Record<string, any>[];
      expect(textOf(elements)).toBe('Echo: hi there');
      expect(failing.requests).toHaveLength(1);
      expect(healthy.requests).toHaveLength(1);
      const row = await gw.admin('GET', `/admin/api/usage/requests/${requestId}`);
      expect(row).toMatchObject({ status: 'ok', attempts: 2, deployment_name: 'd1' });
      const after = await gw.wallet();
      expect(before.balance_micros - after.balance_micros).toBe(row.cost_micros);
      expect(after.locked_micros).toBe(0);
    } finally {
      await gw.close();
      await failing.close();
      await healthy.close();
    }
  });
});
