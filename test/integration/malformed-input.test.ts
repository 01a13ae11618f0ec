/**
 * Fuzz-style robustness: a few hundred malformed requests, generated from a seeded PRNG so every run sends the same
 * ones, against every client endpoint and the admin endpoints that take input. Every answer must be JSON with an
 * `error` object (or a success), never a 5xx; the gateway must stay healthy, the ledger sound, and no malformed call
 * may reach the upstream.
 */
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(0x0a11ce5);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

type Body = string | Uint8Array | undefined;

interface Case {
  label: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** Path and query, sent as is. */
  path: string;
  headers: [string, string][];
  body: Body;
  /** 'error': the request is invalid by construction and must be refused; 'any': a success is acceptable too. */
  expect: 'error' | 'any';
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------------

const UNICODE_JUNK = ['\u0000', '\ud800', '\udfff', '\u202e', '\u200b\u200b', '\ufeff', '𝕏🚀', 'e\u0301', '\u{10ffff}', '日本語', '\u0085\u2028'];
const junkString = (): string => Array.from({ length: 1 + int(6) }, () => pick(UNICODE_JUNK)).join('');
/** Header values must be ByteStrings: junk from the Latin-1 range (no controls). */
const latin1Junk = (length: number): string => Array.from({ length }, () => String.fromCharCode(pick([0x20 + int(0x5f), 0xa0 + int(0x60)]))).join('');
/** Percent-encoded junk for URLs: the UTF-8 of junk strings, or byte sequences that are not UTF-8 at all. */
const urlJunk = (): string =>
  rand() < 0.3 ? pick(['%C3%28', '%ED%A0%80', '%F8%88%80%80%80', '%FF', '%C0%AF']) : [...Buffer.from(junkString(), 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
const nestedArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const HUGE_NUMBERS = [1e308, -1e308, 2 ** 64, -(2 ** 64), Number.MAX_SAFE_INTEGER + 2, -1, -0.5, 1.5, 0.0000001];
const NAN_ISH = ['NaN', 'Infinity', '-Infinity', '1e999', '0x10', '', ' ', '1_000', '١٢٣', 'null', 'undefined', '--1'];
const WRONG_TYPES: unknown[] = [[], {}, true, false, 'text', 0, -1, [[[[1]]]], [null], { $gt: '' }, '__proto__'];

/** Garbage that is not JSON. */
function garbage(): string {
  return pick([
    () => latin1Junk(1 + int(200)),
    () => '{'.repeat(1 + int(50)),
    () => '{"model": "gpt-4o-mini", "messages": [}',
    () => "{'model': 'gpt-4o-mini'}",
    () => '{"a":1,}',
    () => 'NaN',
    () => '\ufeff{"model":"gpt-4o-mini"}',
    () => '{"model":"gpt-4o-mini"}{"model":"gpt-4o-mini"}',
    () => '\u0000\u0001\u0002',
    () => '<xml><model>gpt-4o-mini</model></xml>',
    () => '{"messages":[{"role":"user","content":"\\ud800"}]', // lone surrogate escape, and cut off
    () => JSON.stringify(junkString()).slice(1),
  ])();
}

/** Valid JSON that is not an object. */
const NOT_OBJECTS = ['null', '[]', '"string"', '123', 'true', '-0', '1e400', '[{"model":"gpt-4o-mini"}]', nestedArray(2000)];

/** Cut-off JSON of a valid-looking body. */
function truncated(body: object): string {
  const text = JSON.stringify(body);
  return text.slice(0, 1 + int(text.length - 2));
}

/** For each field, values that the field must refuse. */
type FieldSpec = Record<string, unknown[]>;

/** One body per wrong value of each field (a random sample of them), on top of a base. */
function fieldMutations(base: Record<string, unknown>, spec: FieldSpec, perField: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [field, values] of Object.entries(spec)) {
    const sample = [...values].sort(() => rand() - 0.5).slice(0, perField);
    for (const value of sample) out.push({ ...base, [field]: value });
  }
  return out;
}

const CONTENT_TYPES: (string | null)[] = [
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=----omixa',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'application/octet-stream',
  'application/xml',
  null, // none at all
];

/** Wraps a body in a (possibly wrong) content type. Bodies sent without a content type go as raw bytes. */
function withContentType(body: string, type: string | null): { headers: [string, string][]; body: Body } {
  if (type === null) return { headers: [], body: new TextEncoder().encode(body) };
  if (type.startsWith('multipart/')) {
    const multipart = `------omixa\r\nContent-Disposition: form-data; name="payload"\r\n\r\n${body}\r\n------omixa--\r\n`;
    return { headers: [['content-type', type]], body: multipart };
  }
  if (type === 'application/x-www-form-urlencoded') return { headers: [['content-type', type]], body: `model=gpt-4o-mini&messages=${encodeURIComponent(body)}` };
  return { headers: [['content-type', type]], body };
}

// ---------------------------------------------------------------------------------------------------------------
// Chat bodies: every one of them is invalid, so none may reach the upstream.
// ---------------------------------------------------------------------------------------------------------------

const CHAT_BASE = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] };

const CHAT_SPEC: FieldSpec = {
  model: [123, null, true, [], {}, '', 'x'.repeat(300), 'gpt-4o-mini\u0000', '\ud800', ' gpt-4o-mini', 'GPT-4O-MINI', 'gpt-4o-mini/../gpt-4o', junkString(), ['gpt-4o-mini']],
  messages: [null, 'hello', 42, {}, [], [null], ['hello'], [{}], [{ role: 'robot', content: 'x' }], [{ role: 'user', content: 42 }], [{ role: 'user', content: [1] }], [{ role: 'user', content: [{}] }], [{ role: 'user', content: { text: 'x' } }], [[[['user']]]], [{ role: null, content: 'x' }], [{ role: 'user', content: [{ type: 7 }] }]],
  stream: ['yes', 1, 0, {}, [], 'true'],
  stream_options: ['x', 1, true, [], { include_usage: 'yes' }, { include_usage: 1 }],
  max_tokens: [0, -1, 1.5, 1e308, -1e308, '100', 'NaN', true, [], {}, 2 ** 64],
  max_completion_tokens: [0, -5, 0.5, 1e308, '1', [], {}],
  n: [0, -1, 129, 1.5, '2', 1e308, [], {}],
  temperature: [-0.1, 2.01, 1e308, -1e308, '1', 'NaN', 'Infinity', [], {}, true],
  top_p: [-1, 1.5, '0.5', 1e308, [], {}],
  tools: ['x', 1, {}, [1], [{}], [{ type: 1 }], [{ type: 'function', function: { name: '' } }], [{ type: 'function', function: { name: 'x'.repeat(200) } }], [null]],
  tool_choice: [1, true, [], {}, { type: 1 }],
  response_format: ['json', 1, [], {}, { type: 1 }, true],
  reasoning_effort: [1, true, {}, [], 'x'.repeat(40)],
  verbosity: [1, {}, [], 'y'.repeat(40)],
  service_tier: [1, {}, [], 'z'.repeat(40)],
  user: [1, {}, [], 'u'.repeat(600)],
};

function chatBodies(): { label: string; body: string }[] {
  const out: { label: string; body: string }[] = [];
  for (const b of fieldMutations(CHAT_BASE, CHAT_SPEC, 5)) out.push({ label: 'wrong field', body: JSON.stringify(b) });
  const { model: _m, ...noModel } = CHAT_BASE;
  const { messages: _x, ...noMessages } = CHAT_BASE;
  out.push({ label: 'no model', body: JSON.stringify(noModel) }, { label: 'no messages', body: JSON.stringify(noMessages) });
  for (let i = 0; i < 6; i++) out.push({ label: 'truncated', body: truncated({ ...CHAT_BASE, temperature: 0.5, max_tokens: 10 }) });
  for (let i = 0; i < 6; i++) out.push({ label: 'garbage', body: garbage() });
  for (const body of NOT_OBJECTS) out.push({ label: 'not an object', body });
  out.push({ label: 'empty', body: '' });
  // Numbers JSON can carry but the schema must refuse.
  out.push({ label: 'huge exponent', body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"max_tokens":1e400}' });
  out.push({ label: 'negative zero n', body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"n":-0}' });
  // Schema-valid, but refused before any upstream call: a hold no wallet can cover, and absurd nesting.
  out.push({ label: 'unholdable', body: JSON.stringify({ ...CHAT_BASE, max_tokens: Number.MAX_SAFE_INTEGER, n: 128 }) });
  out.push({ label: 'deep unknown field', body: JSON.stringify(CHAT_BASE).slice(0, -1) + `,"metadata":${nestedArray(20_000)}}` });
  out.push({ label: 'deep message field', body: `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x","extra":${nestedArray(20_000)}}]}` });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------------------------

function buildCases(key: string, adminToken: string): Case[] {
  const cases: Case[] = [];
  const bearer = (token: string): [string, string] => ['authorization', `Bearer ${token}`];
  const json: [string, string] = ['content-type', 'application/json'];

  // Chat, on both base paths and the admin playground.
  for (const path of ['/v1/chat/completions', '/api/v1/chat/completions']) {
    for (const { label, body } of chatBodies()) {
      const type = pick(CONTENT_TYPES);
      // Wrong content types carry broken bodies; valid-looking bodies keep application/json so they test the schema.
      const wrapped = label === 'wrong field' || label === 'unholdable' || label.startsWith('deep') || label.startsWith('no ') ? withContentType(body, 'application/json') : withContentType(body, type);
      cases.push({ label: `${path} ${label} (${type})`, method: 'POST', path, headers: [bearer(key), ...wrapped.headers], body: wrapped.body, expect: 'error' });
    }
  }
  const playgroundSpec: FieldSpec = { ...CHAT_SPEC, account: [1, 'no-such-account', [], {}, true] };
  for (const b of fieldMutations({ ...CHAT_BASE, account: 'default' }, playgroundSpec, 2)) {
    cases.push({ label: 'playground wrong field', method: 'POST', path: '/playground/chat/completions', headers: [bearer(adminToken), json], body: JSON.stringify(b), expect: 'error' });
  }
  for (const body of [...NOT_OBJECTS, '', garbage(), truncated(CHAT_BASE)]) {
    cases.push({ label: 'playground broken body', method: 'POST', path: '/playground/chat/completions', headers: [bearer(adminToken), json], body, expect: 'error' });
  }

  // Valid chat bodies with bad credentials: refused before anything is held or called.
  const validChat = JSON.stringify(CHAT_BASE);
  const badAuth: [string, string][][] = [
    [],
    [['authorization', 'Bearer']],
    [['authorization', 'Bearer ']],
    [['authorization', `Basic ${Buffer.from(`user:${key}`).toString('base64')}`]],
    [['authorization', `Token ${key}`]],
    [['authorization', `Bearer${key}`]],
    [['authorization', `Bearer ${key}x`]],
    [['authorization', `Bearer ${key.slice(0, -1)}`]],
    [['authorization', `Bearer ${key} ${key}`]],
    [['authorization', `Bearer ${latin1Junk(40)}`]],
    [['authorization', `Bearer ${'a'.repeat(8000)}`]],
    [['authorization', `Bearer omx_live_${'0'.repeat(32)}`]],
    [['authorization', `Bearer ${adminToken}`]],
    [['authorization', `Bearer ${key}`], ['authorization', `Bearer ${key}`]], // duplicated: "Bearer k, Bearer k"
    [['x-api-key', 'omx_live_wrong']],
    [['x-api-key', '']],
    [['x-goog-api-key', `${key}-nope`]],
  ];
  for (const auth of badAuth) {
    const path = pick(['/v1/chat/completions', '/api/v1/chat/completions']);
    cases.push({ label: `chat bad auth ${JSON.stringify(auth).slice(0, 60)}`, method: 'POST', path, headers: [...auth, json], body: validChat, expect: 'error' });
  }
  for (const auth of badAuth) {
    for (const path of ['/v1/models', '/v1/wallet', '/api/v1/wallet/transactions?limit=1']) {
      cases.push({ label: `GET ${path} bad auth`, method: 'GET', path, headers: auth, body: undefined, expect: 'error' });
    }
  }

  // Odd and duplicated headers on reads that are otherwise fine.
  const oddHeaders: [string, string][][] = [
    [['content-type', 'application/json'], ['content-type', 'text/html']],
    [['accept', 'text/event-stream']],
    [['accept', latin1Junk(30)]],
    [['x-omixa-timestamp', 'yesterday'], ['x-omixa-signature', 'sha256=nope']],
    [['x-omixa-timestamp', '1'], ['x-omixa-timestamp', '2']],
    [['content-length', '0']],
    [['x-forwarded-host', 'evil.example'], ['forwarded', 'host=evil.example']],
    [['origin', 'https://evil.example']],
    [['x-junk', latin1Junk(2000)]],
  ];
  for (const extra of oddHeaders) {
    for (const path of ['/v1/models', '/v1/wallet']) cases.push({ label: `GET ${path} odd headers`, method: 'GET', path, headers: [bearer(key), ...extra], body: undefined, expect: 'any' });
  }

  // Listings: bad cursors, limits, times, granularities, repeated parameters.
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  const CURSORS = ['x', '!!!', '%00', '%FF%FE', b64('s:-1'), b64('s:1e5'), b64('s:' + '9'.repeat(20)), b64('seq:1'), b64(junkString()), 'czox'.repeat(50), urlJunk(), '', b64('s:1'), 'a'.repeat(5000)];
  const LIMITS = ['0', '-1', 'abc', '1.5', '1e3', '9999999', '', '500', '501', '%205', '0x10', 'NaN', 'Infinity', '00000000001', '1%00'];
  for (let i = 0; i < 30; i++) {
    const query = [`cursor=${pick(CURSORS)}`, `limit=${pick(LIMITS)}`];
    if (rand() < 0.3) query.push(`cursor=${pick(CURSORS)}`); // repeated parameter
    if (rand() < 0.2) query.push(`limit=${pick(LIMITS)}`);
    cases.push({ label: 'transactions query', method: 'GET', path: `${pick(['/v1', '/api/v1'])}/wallet/transactions?${query.join('&')}`, headers: [bearer(key)], body: undefined, expect: 'any' });
  }
  const TIMES = ['yesterday', '-1', '1e10', '9'.repeat(20), '2024-13-45', 'NaN', '', '0', '1700000000', '1700000000000', urlJunk(), '%ZZ', '+275760-09-13T00:00:00.001Z', '2024-01-01T00:00:00Z', '1700000000.5', 'Infinity'];
  const STATUSES = ['ok', 'error', 'pending', "' OR 1=1 --", '%00', urlJunk()];
  for (let i = 0; i < 30; i++) {
    const query = [`from=${pick(TIMES)}`];
    if (rand() < 0.6) query.push(`to=${pick(TIMES)}`);
    if (rand() < 0.5) query.push(`model=${pick(['gpt-4o-mini', "x' OR '1'='1", '%00', urlJunk()])}`);
    if (rand() < 0.5) query.push(`status=${pick(STATUSES)}`);
    if (rand() < 0.4) query.push(`model=a`, `model=b`, `status=${pick(STATUSES)}`); // repeated parameters
    if (rand() < 0.4) query.push(`cursor=${pick(CURSORS)}`, `limit=${pick(LIMITS)}`);
    cases.push({ label: 'usage requests query', method: 'GET', path: `${pick(['/v1', '/api/v1'])}/usage/requests?${query.join('&')}`, headers: [bearer(key)], body: undefined, expect: 'any' });
  }
  const GRANULARITIES = ['hour', 'day', 'minute', 'HOUR', '', 'week', '%00', urlJunk(), 'hour&granularity=day', 'day&granularity=nope'];
  for (let i = 0; i < 24; i++) {
    const query = [`granularity=${pick(GRANULARITIES)}`];
    if (rand() < 0.5) query.push(`from=${pick(TIMES)}`);
    if (rand() < 0.5) query.push(`to=${pick(TIMES)}`);
    if (rand() < 0.5) query.push(`group_by=${pick(['model', 'account', '', 'model&group_by=x', urlJunk()])}`);
    cases.push({ label: 'rollups query', method: 'GET', path: `${pick(['/v1', '/api/v1'])}/usage/rollups?${query.join('&')}`, headers: [bearer(key)], body: undefined, expect: 'any' });
  }

  // Self top-up (enabled for this run) and admin top-up through the client route.
  const AMOUNTS: unknown[] = [0, -1, -1e308, 1.5, '100', null, true, [], {}, 1e308, 1e12 + 1, Number.MAX_SAFE_INTEGER, 2 ** 64, 'NaN', [100]];
  for (const amount of AMOUNTS) {
    cases.push({ label: `self top-up ${String(amount)}`, method: 'POST', path: '/v1/wallet/top-up', headers: [bearer(key), json], body: JSON.stringify({ amount_micros: amount }), expect: 'error' });
  }
  for (const body of [...NOT_OBJECTS, '', garbage(), '{"amount_micros":1e400}', truncated({ amount_micros: 100 })]) {
    const type = pick(CONTENT_TYPES);
    const wrapped = withContentType(body, type);
    cases.push({ label: `self top-up broken body (${type})`, method: 'POST', path: '/api/v1/wallet/top-up', headers: [bearer(key), ...wrapped.headers], body: wrapped.body, expect: 'error' });
  }
  for (const account of [1, 'no-such-account', [], {}, true, junkString()]) {
    // A valid amount: only the account reference is wrong, and it must not fall back to the default account.
    cases.push({ label: 'admin top-up via client route', method: 'POST', path: '/v1/wallet/top-up', headers: [bearer(adminToken), json], body: JSON.stringify({ amount_micros: 1_000, account }), expect: 'error' });
  }

  // Admin: deployments, keys, top-ups, prices.
  const count = [-1, 1.5, 1e308, '5', null, 2 ** 60, [], {}, true];
  const deploymentSpec: FieldSpec = {
    name: [1, null, '', 'x'.repeat(65), 'bad name!', 'a/b', '\u0000', junkString(), [], {}],
    provider: ['nope', 1, [], 'AZURE', junkString()],
    model: [1, '', 'x'.repeat(200), null, [], {}],
    endpoint: ['not a url', 'ftp://example.com', 'javascript:alert(1)', '', 1, 'http://', '//example.com', 'file:///etc/passwd', junkString(), [], null],
    deployment: [1, 'x'.repeat(300), [], {}, null],
    api_key: ['', 1, null, 'k'.repeat(20_000), [], {}],
    api_version: [1, 'v'.repeat(100), [], {}],
    region: [1, 'r'.repeat(100), [], {}],
    rpm: count,
    tpm: count,
    hourly_tokens: count,
    weight: count,
    priority: count,
    fast_mode: ['true', 1, null, [], {}],
    enabled: ['false', 0, null, [], {}],
    modality: ['nope', 1, [], 'CHAT', junkString()],
  };
  const deploymentBase = { name: 'fuzz-dep', model: 'fuzz-model', endpoint: 'http://127.0.0.1:9', deployment: 'fuzz', api_key: 'fuzz-secret-123456' };
  for (const b of fieldMutations(deploymentBase, deploymentSpec, 3)) {
    cases.push({ label: 'deployment wrong field', method: 'POST', path: '/admin/api/deployments', headers: [bearer(adminToken), json], body: JSON.stringify(b), expect: 'error' });
  }
  const keySpec: FieldSpec = {
    name: [1, '', '   ', 'x'.repeat(101), null, [], {}],
    account: [1, 'no-such-account', [], {}, junkString()],
    rpm: [-1, 1.5, '5', 1e308, [], {}],
    tpm: [-1, 0.5, '5', 1e308, [], {}],
    models: ['gpt-4o', [1], [''], {}, 1, [null], [[]]],
    require_signature: ['yes', 1, null, [], {}],
  };
  for (const b of fieldMutations({ name: 'fuzz-key' }, keySpec, 3)) {
    cases.push({ label: 'key wrong field', method: 'POST', path: '/admin/api/keys', headers: [bearer(adminToken), json], body: JSON.stringify(b), expect: 'error' });
  }
  for (const amount of [...AMOUNTS, ...HUGE_NUMBERS]) {
    cases.push({ label: `admin top-up ${String(amount)}`, method: 'POST', path: '/admin/api/accounts/default/top-up', headers: [bearer(adminToken), json], body: JSON.stringify({ amount_micros: amount }), expect: 'any' });
  }
  for (const note of [1, 'n'.repeat(501), {}, []]) {
    cases.push({ label: 'admin top-up bad note', method: 'POST', path: '/admin/api/accounts/default/top-up', headers: [bearer(adminToken), json], body: JSON.stringify({ amount_micros: 1, note }), expect: 'error' });
  }
  const PRICES: unknown[] = ['abc', '-1', -1, 1e21, '9'.repeat(20), {}, [], true, 'NaN', 'Infinity', '0x10', ' 1 ', '1.', '.5', '1e5', '-0.000001', junkString(), ...NAN_ISH, ...HUGE_NUMBERS, '0.1234567'];
  for (let i = 0; i < 30; i++) {
    const field = pick(['input_per_mtok', 'cached_input_per_mtok', 'cache_write_per_mtok', 'output_per_mtok', 'per_image', 'per_second', 'per_1k_chars', 'per_1k_searches']);
    cases.push({ label: `price ${field}`, method: 'PATCH', path: '/admin/api/models/gpt-4o-mini/price', headers: [bearer(adminToken), json], body: JSON.stringify({ [field]: pick(PRICES) }), expect: 'any' });
  }
  for (const path of ['/admin/api/deployments', '/admin/api/keys', '/admin/api/accounts/default/top-up', '/playground/chat/completions']) {
    for (const body of [...NOT_OBJECTS.slice(1, 5), garbage(), truncated({ name: 'x', amount_micros: 5 })]) {
      const type = pick(CONTENT_TYPES);
      const wrapped = withContentType(body, type);
      cases.push({ label: `${path} broken body (${type})`, method: 'POST', path, headers: [bearer(adminToken), ...wrapped.headers], body: wrapped.body, expect: 'error' });
    }
  }
  for (const body of ['null', '[]', garbage(), '{"input_per_mtok":'] as const) {
    cases.push({ label: 'price broken body', method: 'PATCH', path: '/admin/api/models/gpt-4o-mini/price', headers: [bearer(adminToken), json], body, expect: body === 'null' || body === '[]' ? 'any' : 'error' });
  }
  // Admin routes with client keys and broken admin tokens.
  for (const auth of [bearer(key), bearer(`${adminToken}x`), bearer(adminToken.slice(0, -1)), ['authorization', `bearer${adminToken}`] as [string, string], ['x-api-key', adminToken] as [string, string]]) {
    for (const [method, path] of [['POST', '/admin/api/deployments'], ['POST', '/admin/api/keys'], ['POST', '/admin/api/accounts/default/top-up'], ['PATCH', '/admin/api/models/gpt-4o-mini/price'], ['POST', '/playground/chat/completions']] as const) {
      cases.push({ label: `${path} bad admin auth`, method, path, headers: [auth, json], body: JSON.stringify({ ...CHAT_BASE, ...deploymentBase, amount_micros: 1_000_000, input_per_mtok: '99' }), expect: 'error' });
    }
  }

  // URLs the router cannot take apart.
  for (const path of ['/v1/models/%E0%A4%A', '/v1/chat/completions%zz', `/v1/models/${'m'.repeat(150)}`, `/admin/api/models/${'m'.repeat(150)}/price`, '/v1/usage/requests?from=%', '/v1/wallet/transactions?cursor=%E0%A4%A']) {
    cases.push({ label: `odd url ${path.slice(0, 40)}`, method: 'GET', path, headers: [bearer(key)], body: undefined, expect: 'any' });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------------------------

interface Outcome {
  status: number;
  headers: Headers;
  text: string;
}

async function send(url: string, c: Case): Promise<Outcome> {
  const headers = new Headers();
  for (const [name, value] of c.headers) headers.append(name, value);
  const res = await fetch(`${url}${c.path}`, { method: c.method, headers, body: c.body as BodyInit | undefined });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Why an answer breaks the rules, or null when it is fine. */
function problem(c: Case, o: Outcome): string | null {
  if (o.status >= 500) return `status ${o.status}`;
  if (!/^req_/.test(o.headers.get('x-omixa-request-id') ?? '')) return 'no X-Omixa-Request-Id';
  if (!(o.headers.get('content-type') ?? '').includes('application/json')) return `content-type ${o.headers.get('content-type')}`;
  let body: unknown;
  try {
    body = JSON.parse(o.text);
  } catch {
    return 'body is not JSON';
  }
  if (o.status >= 400) {
    const error = (body as { error?: { message?: unknown; type?: unknown; code?: unknown } }).error;
    if (!error || typeof error !== 'object') return 'no error object';
    if (typeof error.message !== 'string' || error.message.length === 0) return 'error without a message';
    if (typeof error.type !== 'string' || typeof error.code !== 'string') return 'error without type/code';
    if (/\bat .+\.(ts|js):\d+/.test(o.text) || o.text.includes('node_modules')) return 'stack trace in the body';
  } else if (c.expect === 'error') {
    return `accepted (${o.status}) a request that is invalid by construction`;
  }
  return null;
}

/** Raw HTTP the fetch API cannot produce: broken framing, bad header syntax. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (out += d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(out));
    setTimeout(() => socket.destroy(), 2000).unref();
  });
}

describe('malformed input on every endpoint', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({ deployments: [{ name: 'eastus-1' }], topUpMicros: 50_000_000, key: { name: 'fuzz' } });
    ({ fake, gw, key } = setup);
    await gw.admin('PATCH', '/admin/api/settings', { self_top_up: true });
    return setup.close;
  });

  it('answers a few hundred generated malformed requests with JSON errors, never a 5xx, never calling the upstream', async () => {
    const cases = buildCases(key, gw.adminToken);
    expect(cases.length).toBeGreaterThanOrEqual(300);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    // A few at a time: concurrency is part of the abuse, and it keeps the run short.
    const queue = [...cases];
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          let outcome: Outcome;
          try {
            outcome = await send(gw.url, c);
          } catch (err) {
            failures.push(`${c.method} ${c.path.slice(0, 80)} [${c.label}]: transport error ${(err as Error).message}`);
            continue;
          }
          statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
          const why = problem(c, outcome);
          if (why) failures.push(`${c.method} ${c.path.slice(0, 80)} [${c.label}]: ${why} — ${outcome.text.slice(0, 200)}`);
        }
      }),
    );
    expect(failures).toEqual([]);
    // The run exercised refusals of every kind, not just one code path.
    for (const status of [400, 401, 402, 404]) expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(0);
  });

  it('answers requests Node cannot parse with a JSON error too', async () => {
    const port = Number(new URL(gw.url).port);
    const requests = [
      `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n{}`,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}`,
      `GET /v1/models HTTP/1.1\r\nHost: localhost\r\nBad Header Line\r\n\r\n`,
      `GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Bad\u0001: 1\r\n\r\n`,
      `BREW /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n`,
      `GET /v1/models HTTP/9.9\r\nHost: localhost\r\n\r\n`,
      `\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003`, // a TLS ClientHello on the plain port
    ];
    for (const request of requests) {
      const answer = await rawExchange(port, request);
      const label = JSON.stringify(request.slice(0, 60));
      expect(answer, label).toMatch(/^HTTP\/1\.1 4\d\d /);
      const [head, body] = [answer.slice(0, answer.indexOf('\r\n\r\n')), answer.slice(answer.indexOf('\r\n\r\n') + 4)];
      expect(head.toLowerCase(), label).toContain('content-type: application/json');
      expect(head.toLowerCase(), label).toMatch(/x-omixa-request-id: req_/);
      const parsed = JSON.parse(body) as { error: { code: string; type: string; message: string } };
      expect(parsed.error, label).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error' });
    }
    // HTTP/1.0 has no Host requirement: it still meets the Host check.
    const http10 = await rawExchange(port, `GET /v1/models HTTP/1.0\r\n\r\n`);
    expect(http10).toMatch(/^HTTP\/1\.1 403 /);
    expect(http10).toContain('"code":"invalid_host"');
    expect(fake.requests).toHaveLength(0);
  });

  it('stays healthy and sound afterwards, and still serves a well-formed call', async () => {
    const health = await fetch(`${gw.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const doctor = await gw.admin('GET', '/admin/api/doctor');
    expect(doctor).toMatchObject({ ledger_ok: true, violations: {}, integrity: 'ok' });
    const wallet = await gw.wallet();
    expect(wallet.locked_micros).toBe(0);
    const pending = await gw.admin('GET', '/admin/api/usage/requests?status=pending');
    expect(pending.data).toEqual([]);

    // The fuzzing may have changed the price: put the catalog price back, then a real call goes through.
    await gw.admin('PATCH', '/admin/api/models/gpt-4o-mini/price', { input_per_mtok: '0.15', cached_input_per_mtok: '0.075', output_per_mtok: '0.6' });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(CHAT_BASE),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('Echo: hello');
    expect(fake.requests).toHaveLength(1);
  });
});
