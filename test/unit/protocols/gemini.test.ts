import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src-gateway/errors.js';
import { geminiInbound, geminiToChatRequest, jsonSchemaOf } from '../../../src-gateway/protocols/gemini.js';
import { geminiResponseBody, geminiStreamWriter, usageMetadataOf } from '../../../src-gateway/protocols/gemini-writer.js';
import type { IRChunk, IRResponse } from '../../../src-gateway/protocols/ir.js';
import { splitModelAction } from '../../../src-gateway/routes/gemini-routes.js';

const ctx = { requestId: 'req_1', model: 'gpt-4o-mini', includeUsage: true };
const chunk = (choices: IRChunk['choices'], usage?: IRChunk['usage']): IRChunk => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'x', choices, ...(usage ? { usage } : {}) });
const parse = (event: string) => JSON.parse(event.replace(/^data: /, ''));

describe('GenerateContentRequest → IR', () => {
  it('maps system instruction, turns, media and generation config', () => {
    const ir = geminiToChatRequest(
      {
        systemInstruction: { parts: [{ text: 'Be terse.' }, { text: 'Use SI units.' }] },
        contents: [
          { role: 'user', parts: [{ text: 'Hi' }] },
          { role: 'model', parts: [{ text: 'thinking', thought: true }, { text: 'Hello' }] },
          { parts: [{ text: 'See ' }, { inlineData: { mimeType: 'image/png', data: 'AAA' } }, { inlineData: { mimeType: 'audio/mpeg', data: 'BBB' } }, { inlineData: { mimeType: 'application/pdf', data: 'CCC' } }, { fileData: { fileUri: 'https://x.test/y.jpg' } }] },
        ],
        generationConfig: { maxOutputTokens: 99, temperature: 1.5, topP: 0.8, topK: 40, candidateCount: 2, stopSequences: ['X'], seed: 3, presencePenalty: 0.5, frequencyPenalty: 0.25, thinkingConfig: { thinkingBudget: 4000 } },
        safetySettings: [{ category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_NONE' }],
      },
      'gpt-4o-mini',
      false,
    );
    expect(ir.messages).toEqual([
      { role: 'system', content: 'Be terse.\nUse SI units.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'See ' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA' } },
          { type: 'input_audio', input_audio: { data: 'BBB', format: 'mp3' } },
          { type: 'file', file: { file_data: 'data:application/pdf;base64,CCC', filename: 'file' } },
          { type: 'image_url', image_url: { url: 'https://x.test/y.jpg' } },
        ],
      },
    ]);
    expect(ir).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 99, temperature: 1.5, top_p: 0.8, n: 2, stop: ['X'], seed: 3, presence_penalty: 0.5, frequency_penalty: 0.25, reasoning_effort: 'medium' });
    expect(ir.stream).toBeUndefined();
    expect(ir.tools).toBeUndefined();
  });

  it('pairs functionResponses with their calls by id, else by name, tool results before user text', () => {
    const ir = geminiToChatRequest(
      {
        contents: [
          { role: 'user', parts: [{ text: 'go' }] },
          { role: 'model', parts: [{ functionCall: { name: 'a', args: { x: 1 } } }, { functionCall: { name: 'b', id: 'own-id' } }] },
          { role: 'user', parts: [{ text: 'and then?' }, { functionResponse: { name: 'b', id: 'own-id', response: { output: 'B!' } } }, { functionResponse: { name: 'a', response: { v: [1] } } }] },
        ],
      },
      'm',
      true,
    );
    expect(ir.messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1_0', type: 'function', function: { name: 'a', arguments: '{"x":1}' } }, { id: 'own-id', type: 'function', function: { name: 'b', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'own-id', content: 'B!' },
      { role: 'tool', tool_call_id: 'call_1_0', content: '{"v":[1]}' },
      { role: 'user', content: 'and then?' },
    ]);
    expect(ir).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('maps tools, Gemini schemas and function calling modes', () => {
    const tools = [{ functionDeclarations: [{ name: 'f', description: 'F', parameters: { type: 'OBJECT', properties: { n: { type: 'INTEGER', nullable: true }, l: { type: 'ARRAY', items: { type: 'STRING' }, minItems: '1' } }, required: ['n'], propertyOrdering: ['n', 'l'] } }, { name: 'g', parametersJsonSchema: { type: 'object' } }, { name: 'h' }] }];
    const base = { contents: [{ parts: [{ text: 'x' }] }], tools };
    const auto = geminiToChatRequest(base, 'm', false);
    expect(auto.tools).toEqual([
      { type: 'function', function: { name: 'f', description: 'F', parameters: { type: 'object', properties: { n: { type: ['integer', 'null'] }, l: { type: 'array', items: { type: 'string' }, minItems: 1 } }, required: ['n'] } } },
      { type: 'function', function: { name: 'g', parameters: { type: 'object' } } },
      { type: 'function', function: { name: 'h' } },
    ]);
    expect(auto.tool_choice).toBe('auto');
    const mode = (functionCallingConfig: object) => geminiToChatRequest({ ...base, toolConfig: { functionCallingConfig } }, 'm', false);
    expect(mode({ mode: 'NONE' }).tool_choice).toBe('none');
    expect(mode({ mode: 'ANY' }).tool_choice).toBe('required');
    expect(mode({ mode: 'ANY', allowedFunctionNames: ['g'] }).tool_choice).toEqual({ type: 'function', function: { name: 'g' } });
    const two = mode({ mode: 'ANY', allowedFunctionNames: ['g', 'h'] });
    expect(two.tool_choice).toBe('required');
    expect((two.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual(['g', 'h']);
  });

  it('maps JSON output with and without a schema, and thinking levels', () => {
    const json = (generationConfig: object) => geminiToChatRequest({ contents: [{ parts: [{ text: 'x' }] }], generationConfig }, 'm', false);
    expect(json({ responseMimeType: 'application/json' }).response_format).toEqual({ type: 'json_object' });
    expect(json({ responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { a: { type: 'STRING' } } } }).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema: { type: 'object', properties: { a: { type: 'string' } } } },
    });
    expect(json({ responseMimeType: 'text/plain' }).response_format).toBeUndefined();
    expect(json({ thinkingConfig: { thinkingLevel: 'HIGH' } }).reasoning_effort).toBe('high');
    expect(json({ thinkingConfig: { thinkingBudget: -1 } }).reasoning_effort).toBeUndefined();
    expect(json({ thinkingConfig: { thinkingBudget: 0 } }).reasoning_effort).toBe('none');
  });

  it('refuses malformed requests with invalid_request naming the field', () => {
    const fails = (body: unknown) => {
      try {
        geminiToChatRequest(body, 'm', false);
      } catch (err) {
        expect(err).toBeInstanceOf(GatewayError);
        return (err as GatewayError).param ?? (err as GatewayError).message;
      }
      throw new Error('accepted');
    };
    expect(fails({})).toBe('contents');
    expect(fails({ contents: [] })).toBe('contents');
    expect(fails({ contents: [{ parts: [{ inlineData: { data: 'x' } }] }] })).toBe('contents[0].parts[0].inlineData.mimeType');
    expect(fails({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { topP: 3 } })).toBe('generationConfig.topP');
    expect(fails({ contents: [{ parts: [{ text: 'x' }] }], tools: [{ codeExecution: {} }] })).toBe('tools[0]');
    expect(fails({ contents: [{ role: 'model', parts: [{ text: 'thought', thought: true }] }] })).toBe('contents');
    expect(fails(null)).toContain('JSON object');
  });

  it('converts nested Gemini schemas but leaves properties named like keywords alone', () => {
    expect(jsonSchemaOf({ type: 'OBJECT', properties: { type: { type: 'STRING', enum: ['A'] }, nullable: { type: 'BOOLEAN' } }, anyOf: [{ type: 'NUMBER' }] })).toEqual({
      type: 'object',
      properties: { type: { type: 'string', enum: ['A'] }, nullable: { type: 'boolean' } },
      anyOf: [{ type: 'number' }],
    });
  });
});

describe('IR answers → GenerateContentResponse', () => {
  const ir: IRResponse = {
    id: 'x', object: 'chat.completion', created: 1, model: 'x',
    choices: [
      { index: 0, message: { role: 'assistant', content: 'Hi', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, finish_reason: 'tool_calls' },
      { index: 1, message: { role: 'assistant', content: null }, finish_reason: 'length' },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 2 } },
  };

  it('writes candidates, usage and ids', () => {
    expect(geminiInbound.response(ir, ctx)).toEqual({
      candidates: [
        { content: { role: 'model', parts: [{ text: 'Hi' }, { functionCall: { id: 'call_1', name: 'f', args: { a: 1 } } }] }, finishReason: 'STOP', index: 0 },
        { content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'MAX_TOKENS', index: 1 },
      ],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 17, cachedContentTokenCount: 4, thoughtsTokenCount: 2 },
      modelVersion: 'gpt-4o-mini',
      responseId: 'req_1',
    });
    expect(geminiResponseBody({ ...ir, usage: undefined, choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: 'content_filter' }] }, ctx)).toMatchObject({ candidates: [{ finishReason: 'SAFETY' }] });
    expect(usageMetadataOf({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 })).toEqual({ promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 });
  });

  it('streams text at once and holds tool calls (sent in fragments) for the last event with finish and usage', () => {
    const writer = geminiStreamWriter(ctx);
    expect(writer.chunk(chunk([]))).toEqual([]); // Azure's annotation frame
    expect(writer.chunk(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]))).toEqual([]);
    const text = writer.chunk(chunk([{ index: 0, delta: { content: 'Hel' }, finish_reason: null }]));
    expect(text.map(parse)).toEqual([{ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] }, index: 0 }], modelVersion: 'gpt-4o-mini', responseId: 'req_1' }]);
    expect(writer.chunk(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_9', type: 'function', function: { name: 'f', arguments: '' } }] }, finish_reason: null }]))).toEqual([]);
    writer.chunk(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }, finish_reason: null }]));
    writer.chunk(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'ty":"Rome"}' } }] }, finish_reason: null }]));
    writer.chunk(chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]));
    writer.chunk(chunk([], { prompt_tokens: 8, completion_tokens: 3, total_tokens: 11 }));
    const done = writer.done();
    expect(done.map(parse)).toEqual([
      {
        candidates: [{ content: { role: 'model', parts: [{ functionCall: { id: 'call_9', name: 'f', args: { city: 'Rome' } } }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 3, totalTokenCount: 11 },
        modelVersion: 'gpt-4o-mini',
        responseId: 'req_1',
      },
    ]);
    expect(done.join('')).not.toContain('[DONE]');
  });

  it('writes stream errors in Google shape, so the SDK raises ApiError', () => {
    const [event] = geminiStreamWriter(ctx).error('The upstream stream ended before it was complete.', 'upstream_error');
    expect(parse(event!)).toEqual({ error: { code: 502, message: 'The upstream stream ended before it was complete.', status: 'UNAVAILABLE' } });
    expect(parse(geminiStreamWriter(ctx).error('x', 'weird')[0]!).error.code).toBe(502);
  });
});

describe('route segment', () => {
  it('splits {model}:{method} at the last colon', () => {
    expect(splitModelAction('gemini-2.5-flash:streamGenerateContent')).toEqual({ model: 'gemini-2.5-flash', action: 'streamGenerateContent' });
    expect(splitModelAction('ft:gpt-4o-mini:org:generateContent')).toEqual({ model: 'ft:gpt-4o-mini:org', action: 'generateContent' });
    expect(splitModelAction('gemini')).toEqual({ model: 'gemini', action: '' });
  });
});
