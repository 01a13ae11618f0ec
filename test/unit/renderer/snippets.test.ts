import { describe, expect, it } from 'vitest';
import { chatSnippet, clientBaseUrl, KEY_PLACEHOLDER } from '../../../src-renderer/src/lib/snippets';

const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: "It's fine" }], temperature: 0.2, stream: true };
const base = clientBaseUrl('http://127.0.0.1:7878');

describe('chatSnippet', () => {
  it('points every language at the local /v1 with a key placeholder', () => {
    expect(base).toBe('http://127.0.0.1:7878/v1');
    for (const language of ['curl', 'python', 'node'] as const) {
      const code = chatSnippet(language, base, request);
      expect(code).toContain('http://127.0.0.1:7878/v1');
      expect(code).toContain(KEY_PLACEHOLDER);
      expect(code).not.toMatch(/omx_live_[0-9A-Za-z]{32}/);
    }
  });

  it('quotes the curl body for the shell and streams with -N', () => {
    const code = chatSnippet('curl', base, request);
    expect(code).toContain('curl -N http://127.0.0.1:7878/v1/chat/completions');
    expect(code).toContain(`'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"It'\\''s fine"}],"temperature":0.2,"stream":true}'`);
  });

  it('writes Python keywords with Python literals', () => {
    const code = chatSnippet('python', base, request);
    expect(code).toContain('temperature=0.2,');
    expect(code).toContain('stream=True,');
    expect(code).toContain('for chunk in stream:');
  });
});
