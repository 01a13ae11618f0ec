import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../src-gateway/db/deployments-repository.js';
import { geminiChatUrl, geminiProvider } from '../../../src-gateway/providers/gemini/api.js';
import { SKIP_SIGNATURE, thinkingConfig, toGeminiRequest } from '../../../src-gateway/providers/gemini/request.js';
import { finishFromGemini, fromGeminiResponse, geminiStreamMapper, usageFromGemini } from '../../../src-gateway/providers/gemini/response.js';
import { vertexChatUrl, vertexProvider, vertexTarget } from '../../../src-gateway/providers/vertex/api.js';
import { parseServiceAccount } from '../../../src-gateway/providers/vertex/access-token.js';
import type { SseEvent } from '../../../src-gateway/streaming/sse-decoder.js';

const deployment = (over: Partial<Deployment> = {}): Deployment => ({
  id: 'dep_1', name: 'g', provider: 'gemini', model: 'gemini-2.5-flash', endpoint: 'https://generativelanguage.googleapis.com', deployment: 'gemini-2.5-flash',
  apiVersion: null, region: null, rpm: 0, tpm: 0, hourlyTokens: 0, weight: 1, priority: 0, fastMode: false, enabled: true, secretRef: 'ref', secretHint: null,
  options: {}, createdAt: 0, updatedAt: 0, ...over,
});
const sse = (data: unknown): SseEvent => ({ text: `data: ${JSON.stringify(data)}`, data: JSON.stringify(data), event: null });

describe('IR → Gemini request', () => {
  it('hoists system and developer messages and alternates user / model turns', () => {
    const out = toGeminiRequest(
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Use metric.' }] },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello!' },
          { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }, { type: 'image_url', image_url: { url: 'https://x.test/a.PNG?v=1' } }] },
        ],
      },
      'gemini-2.5-flash',
    );
    expect(out.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }, { text: 'Use metric.' }] });
    expect(out.contents).toEqual([
      { role: 'user', parts: [{ text: 'Hi' }] },
      { role: 'model', parts: [{ text: 'Hello!' }] },
      { role: 'user', parts: [{ text: 'Look' }, { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } }, { fileData: { mimeType: 'image/png', fileUri: 'https://x.test/a.PNG?v=1' } }] },
    ]);
    expect(out.generationConfig).toBeUndefined();
  });

  it('turns tool calls into functionCall parts and tool results into functionResponse parts named after their call', () => {
    const out = toGeminiRequest(
      {
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }, { id: 'c2', type: 'function', function: { name: 'get_time', arguments: '' } }] },
          { role: 'tool', tool_call_id: 'c2', content: 'noon' },
          { role: 'tool', tool_call_id: 'c1', content: '{"temp":3}' },
          { role: 'tool', tool_call_id: 'c1', content: '[1,2]' },
          { role: 'user', content: 'thanks' },
        ],
      },
      'gemini-2.5-flash',
    );
    expect(out.contents).toEqual([
      { role: 'user', parts: [{ text: 'weather?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }, { functionCall: { name: 'get_time', args: {} } }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_time', response: { output: 'noon' } } },
          { functionResponse: { name: 'get_weather', response: { temp: 3 } } },
          { functionResponse: { name: 'get_weather', response: { output: '[1,2]' } } },
          { text: 'thanks' },
        ],
      },
    ]);
  });

  it('returns thought signatures with their calls, and marks foreign calls for Gemini 3 only', () => {
    const messages = [
      { role: 'user', content: 'x' },
      { role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }, { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'a', content: '1' },
    ];
    expect(toGeminiRequest({ messages }, 'gemini-2.5-flash').contents[1]!.parts.map((p) => p.thoughtSignature)).toEqual([undefined, undefined]);
    expect(toGeminiRequest({ messages }, 'gemini-3-pro-preview').contents[1]!.parts.map((p) => p.thoughtSignature)).toEqual([SKIP_SIGNATURE, undefined]);
    const signed = [messages[0], { role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' }, extra_content: { google: { thought_signature: 'sig' } } }] }];
    expect(toGeminiRequest({ messages: signed }, 'gemini-3-pro-preview').contents[1]!.parts[0]!.thoughtSignature).toBe('sig');
  });

  it('maps tools, tool_choice and generation settings', () => {
    const out = toGeminiRequest(
      {
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object', additionalProperties: false } } }, { type: 'custom', custom: {} }],
        tool_choice: { type: 'function', function: { name: 'f' } },
        max_completion_tokens: 100,
        max_tokens: 50,
        temperature: 0,
        top_p: 0.5,
        stop: ['a', 'b'],
        n: 2,
        seed: 7,
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
        response_format: { type: 'json_object' },
        reasoning_effort: 'high',
        stream_options: { include_usage: true },
      },
      'gemini-2.5-pro',
    );
    expect(out.tools).toEqual([{ functionDeclarations: [{ name: 'f', description: 'does f', parametersJsonSchema: { type: 'object', additionalProperties: false } }] }]);
    expect(out.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } });
    expect(out.generationConfig).toEqual({
      maxOutputTokens: 100, temperature: 0, topP: 0.5, stopSequences: ['a', 'b'], candidateCount: 2, seed: 7, presencePenalty: 0.1, frequencyPenalty: 0.2,
      responseMimeType: 'application/json', thinkingConfig: { thinkingBudget: 24576 },
    });
    expect(toGeminiRequest({ messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'none' }, 'm').toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
  });

  it('maps reasoning effort to a thinking budget (2.5) or level (3), and leaves unknown efforts out', () => {
    expect(thinkingConfig('none', 'gemini-2.5-flash')).toEqual({ thinkingBudget: 0 });
    expect(thinkingConfig('medium', 'gemini-2.5-flash')).toEqual({ thinkingBudget: 8192 });
    expect(thinkingConfig('minimal', 'gemini-3-flash')).toEqual({ thinkingLevel: 'low' });
    expect(thinkingConfig('xhigh', 'gemini-3-pro')).toEqual({ thinkingLevel: 'high' });
    expect(thinkingConfig('turbo', 'gemini-2.5-flash')).toBeUndefined();
    expect(thinkingConfig(undefined, 'gemini-2.5-flash')).toBeUndefined();
  });
});

describe('Gemini answer → IR', () => {
  it('maps text, function calls, finish reasons and usage (thinking billed as output)', () => {
    const ir = fromGeminiResponse(
      {
        candidates: [{ content: { role: 'model', parts: [{ text: 'hmm', thought: true }, { text: 'Hi ' }, { text: 'there' }, { functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 's' }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 20, thoughtsTokenCount: 5, cachedContentTokenCount: 40, totalTokenCount: 125 },
        responseId: 'abc',
      },
      'public-model',
    );
    expect(ir).toMatchObject({ id: 'chatcmpl-abc', object: 'chat.completion', model: 'public-model' });
    expect(ir.choices[0]!.finish_reason).toBe('tool_calls');
    expect(ir.choices[0]!.message.content).toBe('Hi there');
    expect(ir.choices[0]!.message.tool_calls).toEqual([{ id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/), type: 'function', function: { name: 'f', arguments: '{"a":1}' }, extra_content: { google: { thought_signature: 's' } } }]);
    expect(ir.usage).toEqual({ prompt_tokens: 100, completion_tokens: 25, total_tokens: 125, prompt_tokens_details: { cached_tokens: 40 }, completion_tokens_details: { reasoning_tokens: 5 } });
  });

  it('maps every finish reason and a blocked prompt', () => {
    expect(finishFromGemini('STOP', false)).toBe('stop');
    expect(finishFromGemini('MAX_TOKENS', true)).toBe('length');
    expect(finishFromGemini('SAFETY', false)).toBe('content_filter');
    expect(finishFromGemini('RECITATION', false)).toBe('content_filter');
    expect(finishFromGemini('MALFORMED_FUNCTION_CALL', false)).toBe('stop');
    expect(finishFromGemini(undefined, false)).toBeNull();
    const blocked = fromGeminiResponse({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 9 } }, 'm');
    expect(blocked.choices).toEqual([{ index: 0, message: { role: 'assistant', content: '', refusal: null }, finish_reason: 'content_filter' }]);
    expect(blocked.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 0 });
    expect(usageFromGemini(undefined)).toBeUndefined();
    expect(() => fromGeminiResponse({ error: { code: 500 } }, 'm')).toThrow();
  });

  it('maps a stream: text deltas, whole function calls, one finish, usage last, complete only after a finish', () => {
    const mapper = geminiStreamMapper('m');
    const usage = { promptTokenCount: 10, totalTokenCount: 10 };
    const first = mapper.map(sse({ candidates: [{ content: { parts: [{ text: 'Hel' }], role: 'model' }, index: 0 }], usageMetadata: usage, responseId: 'r1' }));
    expect(first).toEqual([{ id: 'chatcmpl-r1', object: 'chat.completion.chunk', created: expect.any(Number), model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] }]);
    expect(mapper.map(sse({ candidates: [{ content: { parts: [{ text: 'lo' }] } }] }))[0]!.choices[0]!.delta).toEqual({ content: 'lo' });
    expect(mapper.map(sse({ candidates: [{ content: { parts: [{ text: 'thinking…', thought: true }] } }] }))).toEqual([]);
    const calls = mapper.map(sse({ candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} } }, { functionCall: { name: 'g', args: { x: 'y' } } }] } }] }));
    expect(calls[0]!.choices[0]!.delta.tool_calls).toEqual([
      { index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'f', arguments: '{}' } },
      { index: 1, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'g', arguments: '{"x":"y"}' } },
    ]);
    expect(mapper.complete).toBe(false);
    expect(mapper.end()).toEqual([]); // cut off before a finish: no upstream usage, the gateway counts locally
    const last = mapper.map(sse({ candidates: [{ content: { parts: [{ text: '' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4, thoughtsTokenCount: 2 } }));
    expect(last).toEqual([expect.objectContaining({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] })]);
    expect(mapper.complete).toBe(true);
    expect(mapper.end()).toEqual([expect.objectContaining({ choices: [], usage: expect.objectContaining({ prompt_tokens: 10, completion_tokens: 6, total_tokens: 16 }) })]);
  });

  it('ignores comments, garbage and error events in a stream', () => {
    const mapper = geminiStreamMapper('m');
    expect(mapper.map({ text: ': keep-alive', data: null, event: null })).toEqual([]);
    expect(mapper.map({ text: 'data: {oops', data: '{oops', event: null })).toEqual([]);
    expect(mapper.map(sse({ error: { code: 500, message: 'x', status: 'INTERNAL' } }))).toEqual([]);
    expect(mapper.complete).toBe(false);
  });
});

describe('Gemini and Vertex calls', () => {
  it('builds the Gemini URL with the key in a header only', () => {
    const call = geminiProvider.chatCompletions!({ deployment: deployment({ endpoint: 'https://generativelanguage.googleapis.com/v1beta/' }), secret: 'k', body: { messages: [{ role: 'user', content: 'x' }], stream: true } });
    expect(call.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(call.headers).toEqual({ 'content-type': 'application/json', 'x-goog-api-key': 'k' });
    expect(geminiChatUrl('', 'models-x', false)).toBe('https://generativelanguage.googleapis.com/v1beta/models/models-x:generateContent');
  });

  it('builds the Vertex URL from options, the key and the region', () => {
    const key = JSON.stringify({ client_email: 'a@b', private_key: 'pem', project_id: 'from-key' });
    expect(vertexTarget(deployment({ options: { project: 'p1', location: 'asia-east1' }, region: 'x' }), key)).toEqual({ project: 'p1', location: 'asia-east1' });
    expect(vertexTarget(deployment({ region: 'europe-west1' }), key)).toEqual({ project: 'from-key', location: 'europe-west1' });
    expect(vertexTarget(deployment(), 'not json')).toEqual({ project: undefined, location: 'us-central1' });
    expect(vertexChatUrl('https://{region}-aiplatform.googleapis.com', 'p', 'us-east5', 'gemini-2.5-pro', false)).toBe(
      'https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/google/models/gemini-2.5-pro:generateContent',
    );
    expect(vertexChatUrl('https://{region}-aiplatform.googleapis.com', 'p', 'global', 'm', true)).toBe(
      'https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/m:streamGenerateContent?alt=sse',
    );
    const call = vertexProvider.chatCompletions!({ deployment: deployment({ provider: 'vertex', endpoint: 'https://europe-west4-aiplatform.googleapis.com/v1', options: { project: 'p', location: 'europe-west4' } }), secret: key, body: { messages: [{ role: 'user', content: 'x' }] } });
    expect(call.url).toBe('https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent');
    expect(call.headers.authorization).toBeUndefined(); // added by authorize()
  });

  it('refuses to authorize without a project or a service-account key', async () => {
    const input = { deployment: deployment({ provider: 'vertex' }), secret: JSON.stringify({ client_email: 'a@b', private_key: 'pem' }) };
    await expect(vertexProvider.authorize!({ url: 'u', headers: {}, body: '' }, input)).rejects.toThrow(/no project/);
    await expect(vertexProvider.authorize!({ url: 'u', headers: {}, body: '' }, { ...input, secret: 'AIza…', deployment: deployment({ options: { project: 'p' } }) })).rejects.toThrow(/not a service-account key/);
    expect(parseServiceAccount('{"client_email":1}')).toBeUndefined();
  });
});
