import { describe, expect, it } from 'vitest';
import { openAiWireMessages, probeBody } from '../../../src-gateway/providers/openai-wire.js';
import { azureProvider } from '../../../src-gateway/providers/azure/api.js';
import type { Deployment } from '../../../src-gateway/db/deployments-repository.js';
import { GatewayError } from '../../../src-gateway/errors.js';

describe('IR messages on the OpenAI wire', () => {
  it('returns messages without Anthropic-only parts as they are, not copied', () => {
    const messages = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] },
    ];
    expect(openAiWireMessages(messages)).toBe(messages);
    expect(openAiWireMessages(undefined)).toBeUndefined();
  });

  it('drops cache breakpoints and turns documents into file and text parts', () => {
    const messages = [
      { role: 'system', content: [{ type: 'text', text: 'rules', cache_control: { type: 'ephemeral' } }] },
      {
        role: 'user',
        content: [
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'spec.pdf' },
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' }, title: 'Notes' },
          { type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] } },
          { type: 'text', text: 'summarise', cache_control: { type: 'ephemeral', ttl: '1h' } },
        ],
      },
      { role: 'assistant', content: 'ok' },
    ];
    const before = JSON.stringify(messages);
    expect(openAiWireMessages(messages)).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'rules' }] },
      {
        role: 'user',
        content: [
          { type: 'file', file: { filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          { type: 'text', text: 'Notes\n\nplain words' },
          { type: 'text', text: 'one\n\ntwo' },
          { type: 'text', text: 'summarise' },
        ],
      },
      { role: 'assistant', content: 'ok' },
    ]);
    // The IR itself is left alone: an Anthropic deployment tried next still gets the breakpoints and documents.
    expect(JSON.stringify(messages)).toBe(before);
  });

  it('refuses a document the OpenAI wire cannot carry, as the client’s 400', () => {
    const byUrl = [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }] }];
    expect(() => openAiWireMessages(byUrl)).toThrow(GatewayError);
    try {
      openAiWireMessages(byUrl);
    } catch (err) {
      expect(err).toMatchObject({ code: 'invalid_request', status: 400, param: 'messages' });
      expect((err as Error).message).toContain('a url document source');
    }
  });

  describe('the deployment test call', () => {
    it('asks one token as max_tokens of the families that take it', () => {
      expect(probeBody('gpt-4o-mini')).toEqual({ messages: [{ role: 'user', content: 'ping' }], max_tokens: 1, stream: false });
      expect(probeBody('llama3.1:8b')).toMatchObject({ max_tokens: 1 });
    });

    it.each([
      ['gpt-5', 'minimal'],
      ['gpt-5.1', 'none'],
      ['gpt-5-pro', 'high'],
      ['o3', 'low'],
      ['gpt-5-chat', undefined],
    ])('asks %s for max_completion_tokens at its lowest reasoning effort (%s)', (model, effort) => {
      const body = probeBody(model);
      expect(body).toMatchObject({ max_completion_tokens: 64, stream: false });
      expect(body).not.toHaveProperty('max_tokens');
      expect(body.reasoning_effort).toBe(effort);
    });

    it('is what the Azure provider sends', () => {
      const deployment = { endpoint: 'https://res.openai.azure.com', deployment: 'g51', apiVersion: null, model: 'gpt-5.1' } as unknown as Deployment;
      const call = azureProvider.probe!({ deployment, secret: 'k' });
      expect(JSON.parse(call.body as string)).toEqual({ ...probeBody('gpt-5.1'), model: 'g51' });
    });
  });
});
