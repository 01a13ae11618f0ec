import { describe, expect, it } from 'vitest';
import { openAiWireMessages } from '../../../src-gateway/providers/openai-wire.js';
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
});
