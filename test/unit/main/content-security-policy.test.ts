import { describe, expect, it } from 'vitest';
import {
  buildContentSecurityPolicy,
  withContentSecurityPolicy,
} from '../../../src-main/main/content-security-policy';

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((part) => {
      const [name = '', ...sources] = part.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

describe('buildContentSecurityPolicy', () => {
  it('allows network access to the gateway origin only, and scripts from the app only', () => {
    const policy = directives(buildContentSecurityPolicy({ gatewayOrigin: 'http://127.0.0.1:7878' }));
    expect(policy.get('connect-src')).toEqual(['http://127.0.0.1:7878']);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('style-src')).toEqual(["'self'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('opens the dev server and its HMR socket only in dev', () => {
    const policy = directives(
      buildContentSecurityPolicy({ gatewayOrigin: 'http://127.0.0.1:7878', devServerOrigin: 'http://localhost:5173' }),
    );
    expect(policy.get('connect-src')).toEqual(['http://127.0.0.1:7878', 'http://localhost:5173', 'ws://localhost:5173']);
    expect(policy.get('script-src')).toContain("'unsafe-inline'");
  });
});

describe('withContentSecurityPolicy', () => {
  it('replaces any existing policy header regardless of casing and keeps the rest', () => {
    const headers = withContentSecurityPolicy(
      { 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'] },
      "default-src 'none'",
    );
    expect(headers).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': ["default-src 'none'"],
    });
  });
});
