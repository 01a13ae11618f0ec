import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CATALOGUE,
  GatewayError,
  anthropicErrorBody,
  errorBody,
  gatewayError,
  googleErrorBody,
  isGatewayError,
  openAiErrorBody,
  type ErrorCode,
} from '../../src-gateway/errors.js';

// Modelled on fastify's test/internals/errors.test.js: the catalogue is counted, each entry checked, and every code
// must be documented in the contract, so adding an error without documenting it fails here.

const EXPECTED_ERRORS = 16;

/**
 * Codes in the catalogue that the README error table does not list, each with the reason it exists. Keep this short: a client-facing
 * code belongs in the contract's table.
 */
const UNDOCUMENTED_ALLOWED: Partial<Record<ErrorCode, string>> = {};

/** The README carries the contract's error table (API.md §3) plus the codes the product adds. */
const README = path.resolve(import.meta.dirname, '../../README.md');

/** The error table of the README: code → { status, when }. */
function documentedErrors(): Map<string, { status: number; when: string }> {
  const text = fs.readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Errors'), text.indexOf('## Tests and benchmarks'));
  const table = new Map<string, { status: number; when: string }>();
  for (const line of section.split('\n')) {
    const cells = /^\|\s*(\d{3})\s*\|([^|]*)\|(.*)\|\s*$/.exec(line);
    if (!cells) continue;
    for (const [, code] of cells[2]!.matchAll(/`([a-z_]+)`/g)) table.set(code!, { status: Number(cells[1]), when: cells[3]!.trim() });
  }
  return table;
}

const codes = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

describe('error catalogue', () => {
  it(`has ${EXPECTED_ERRORS} errors`, () => {
    expect(codes).toHaveLength(EXPECTED_ERRORS);
  });

  it.each(codes)('%s has a status, a type and a message, and the key is its code', (code) => {
    const spec = ERROR_CATALOGUE[code];
    expect(Number.isInteger(spec.status)).toBe(true);
    expect(spec.status).toBeGreaterThanOrEqual(400);
    expect(spec.status).toBeLessThan(600);
    expect(spec.type).toMatch(/^[a-z_]+$/);
    expect(spec.message).toMatch(/^[A-Z].*\.$/); // a sentence a user can read
    expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);

    const err = gatewayError(code);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(code);
    expect(err.status).toBe(spec.status);
    expect(err.type).toBe(spec.type);
    expect(err.message).toBe(spec.message);
    expect(err.param).toBeNull();
    expect(err.headers).toEqual({});
    expect(isGatewayError(err)).toBe(true);
  });

  it('uses OpenAI error types', () => {
    const openAiTypes = ['invalid_request_error', 'authentication_error', 'permission_error', 'not_found_error', 'rate_limit_error', 'insufficient_quota', 'api_error'];
    for (const code of codes) expect(openAiTypes, code).toContain(ERROR_CATALOGUE[code].type);
  });

  it('never tells a client more than a generic sentence about its own failures', () => {
    expect(ERROR_CATALOGUE.internal_error.message).not.toMatch(/stack|at \w+ \(|Error:/);
    expect(ERROR_CATALOGUE.internal_error.status).toBe(500);
  });

  describe('documented in the README error table', () => {
    const documented = documentedErrors();

    it('the table could be read', () => {
      expect(documented.size).toBeGreaterThanOrEqual(14);
    });

    it.each(codes)('%s is in the table (or explicitly allowed)', (code) => {
      if (UNDOCUMENTED_ALLOWED[code]) expect(documented.has(code), `${code} is documented now: remove it from UNDOCUMENTED_ALLOWED`).toBe(false);
      else expect(documented.has(code), `${code} is missing from the README error table`).toBe(true);
    });

    it('allows only codes that exist', () => {
      for (const code of Object.keys(UNDOCUMENTED_ALLOWED)) expect(codes).toContain(code);
    });

    it('implements every documented code with the documented status', () => {
      for (const [code, { status }] of documented) {
        expect(codes, `${code} is documented but not in the catalogue`).toContain(code);
        expect(ERROR_CATALOGUE[code as ErrorCode].status, code).toBe(status);
      }
    });

    it('uses the exact messages the contract quotes', () => {
      let quoted = 0;
      for (const [code, { when }] of documented) {
        const quote = /"([^"]+)"/.exec(when)?.[1];
        if (!quote) continue;
        quoted++;
        expect(ERROR_CATALOGUE[code as ErrorCode].message, code).toBe(quote);
      }
      expect(quoted).toBe(3); // insufficient_balance, rate_limited, no_healthy_deployment
    });
  });
});

describe('GatewayError', () => {
  it('takes a specific message, a param, extra headers and a status override', () => {
    const err = gatewayError('rate_limited', 'Slow down.', { param: 'model', headers: { 'retry-after': '3' }, status: 429 });
    expect(err.message).toBe('Slow down.');
    expect(err.param).toBe('model');
    expect(err.headers).toEqual({ 'retry-after': '3' });
    const closed = gatewayError('invalid_request', 'The client closed the connection.', { status: 499 });
    expect(closed.status).toBe(499);
    expect(closed.type).toBe('invalid_request_error');
  });

  it('is told apart from other errors', () => {
    expect(isGatewayError(new Error('x'))).toBe(false);
    expect(isGatewayError({ code: 'not_found', status: 404 })).toBe(false);
    expect(isGatewayError(undefined)).toBe(false);
  });
});

describe('the three protocol shapes', () => {
  const err = gatewayError('invalid_request', "Invalid 'messages': required.", { param: 'messages' });

  it('OpenAI: {"error":{"message","type","code","param"}}', () => {
    expect(openAiErrorBody(err)).toEqual({ error: { message: "Invalid 'messages': required.", type: 'invalid_request_error', code: 'invalid_request', param: 'messages' } });
    expect(openAiErrorBody(gatewayError('not_found'))).toEqual({ error: { message: 'Not found.', type: 'not_found_error', code: 'not_found', param: null } });
  });

  it('Anthropic: {"type":"error","error":{"type","message"}}', () => {
    expect(anthropicErrorBody(err)).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: "Invalid 'messages': required." } });
  });

  it('Google: {"error":{"code","message","status"}}', () => {
    expect(googleErrorBody(err)).toEqual({ error: { code: 400, message: "Invalid 'messages': required.", status: 'INVALID_ARGUMENT' } });
  });

  it('errorBody picks the shape by protocol', () => {
    expect(errorBody(err, 'openai')).toEqual(openAiErrorBody(err));
    expect(errorBody(err, 'anthropic')).toEqual(anthropicErrorBody(err));
    expect(errorBody(err, 'google')).toEqual(googleErrorBody(err));
  });

  // The types each vendor documents, so each SDK recognises the error.
  const ANTHROPIC_TYPES = ['invalid_request_error', 'authentication_error', 'billing_error', 'permission_error', 'not_found_error', 'request_too_large', 'rate_limit_error', 'api_error', 'timeout_error', 'overloaded_error'];
  const GOOGLE_STATUS_BY_HTTP: Record<string, number[]> = {
    INVALID_ARGUMENT: [400, 413],
    FAILED_PRECONDITION: [400],
    OUT_OF_RANGE: [400],
    UNAUTHENTICATED: [401],
    PERMISSION_DENIED: [403],
    NOT_FOUND: [404],
    RESOURCE_EXHAUSTED: [402, 429],
    INTERNAL: [500],
    UNAVAILABLE: [502, 503],
    DEADLINE_EXCEEDED: [504],
  };

  it.each(codes)('%s maps to a documented type in every shape, keeping the HTTP status', (code) => {
    const e = gatewayError(code);
    const anthropic = anthropicErrorBody(e) as { type: string; error: { type: string; message: string } };
    expect(anthropic.type).toBe('error');
    expect(ANTHROPIC_TYPES).toContain(anthropic.error.type);
    expect(anthropic.error.message).toBe(e.message);

    const google = googleErrorBody(e) as { error: { code: number; message: string; status: string } };
    expect(google.error.code).toBe(e.status);
    expect(google.error.message).toBe(e.message);
    expect(GOOGLE_STATUS_BY_HTTP[google.error.status], `${code}: ${google.error.status}`).toContain(e.status);

    const openai = openAiErrorBody(e) as { error: Record<string, unknown> };
    expect(Object.keys(openai.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  });

  it('maps the statuses each SDK treats specially to their own types', () => {
    const anthropicType = (code: ErrorCode) => (anthropicErrorBody(gatewayError(code)) as { error: { type: string } }).error.type;
    expect(anthropicType('invalid_api_key')).toBe('authentication_error');
    expect(anthropicType('insufficient_balance')).toBe('billing_error');
    expect(anthropicType('model_not_allowed')).toBe('permission_error');
    expect(anthropicType('model_not_found')).toBe('not_found_error');
    expect(anthropicType('payload_too_large')).toBe('request_too_large');
    expect(anthropicType('rate_limited')).toBe('rate_limit_error');
    expect(anthropicType('no_healthy_deployment')).toBe('overloaded_error');
    expect(anthropicType('internal_error')).toBe('api_error');
  });

  it('falls back to a generic type for a status outside the tables', () => {
    const closed = gatewayError('invalid_request', 'The client closed the connection.', { status: 499 });
    expect((anthropicErrorBody(closed) as { error: { type: string } }).error.type).toBe('api_error');
    expect((googleErrorBody(closed) as { error: { status: string } }).error.status).toBe('INTERNAL');
  });
});
