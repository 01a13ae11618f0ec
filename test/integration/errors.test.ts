/**
 * The contract's error catalogue (API.md §3), one code at a time, against the real gateway and a real loopback Azure
 * fake. Each case checks the status, `error.code`, `error.type`, a readable `message`, `param` where the contract asks
 * for it, the `X-Omixa-Request-Id` header and, for SDK calls, the typed error class the official `openai` SDK raises.
 */
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { sdkError } from '../support/api-errors.js';
import { startAzureFake, type AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

type ApiError = InstanceType<typeof OpenAI.APIError>;
type ErrorClass = abstract new (...args: never[]) => ApiError;

interface Expected {
  status: number;
  code: string;
  type: string;
  param?: string | null;
  /** Exact message, or a pattern it must match. */
  message?: string | RegExp;
}

const REQUEST_ID = /^req_[A-Za-z0-9]+$/;
const HI = [{ role: 'user' as const, content: 'Hi' }];

function expectSdkError(err: ApiError, cls: ErrorClass, want: Expected): void {
  expect(err).toBeInstanceOf(cls);
  expect(err.status).toBe(want.status);
  expect(err.code).toBe(want.code);
  expect(err.type).toBe(want.type);
  if (want.param !== undefined) expect(err.param).toBe(want.param);
  const message = (err.error as { message?: unknown }).message;
  expect(typeof message).toBe('string');
  expect((message as string).length).toBeGreaterThan(10);
  if (want.message instanceof RegExp) expect(message).toMatch(want.message);
  else if (want.message !== undefined) expect(message).toBe(want.message);
  expect(err.headers?.get('x-omixa-request-id')).toMatch(REQUEST_ID);
}

/** Checks a raw HTTP error answer: JSON in the OpenAI error shape, with the request id header. */
async function expectErrorResponse(res: Response, want: Expected): Promise<{ message: string; type: string; code: string; param: string | null }> {
  expect(res.status).toBe(want.status);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(res.headers.get('x-omixa-request-id')).toMatch(REQUEST_ID);
  const body = (await res.json()) as { error: { message: string; type: string; code: string; param: string | null } };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.code).toBe(want.code);
  expect(body.error.type).toBe(want.type);
  expect(body.error.param).toBe(want.param ?? null);
  expect(body.error.message.length).toBeGreaterThan(10);
  if (want.message instanceof RegExp) expect(body.error.message).toMatch(want.message);
  else if (want.message !== undefined) expect(body.error.message).toBe(want.message);
  return body.error;
}

/** A request through node:http, which (unlike fetch) lets the test choose the Host header. */
function rawRequest(url: string, options: { path: string; host: string; headers?: Record<string, string> }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: Number(port), path: options.path, method: 'GET', headers: { host: options.host, ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const sign = (key: string, ts: string, method: string, path: string, body: string) =>
  `sha256=${createHmac('sha256', key).update(`${ts}.${method}.${path}.${body}`).digest('hex')}`;

describe('error catalogue: request, auth, wallet, routing refusals', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;
  let client: OpenAI;

  beforeAll(async () => {
    const setup = await startAzureGateway({ deployments: [{ name: 'eastus-1' }], key: { name: 'errors' } });
    ({ fake, gw, key, client } = setup);
    return setup.close;
  });

  describe('invalid_request (400)', () => {
    it('refuses malformed JSON before anything else', async () => {
      const before = fake.requests.length;
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}',
      });
      await expectErrorResponse(res, { status: 400, code: 'invalid_request', type: 'invalid_request_error', param: null, message: /JSON/ });
      expect(fake.requests.length).toBe(before);
    });

    it("names the missing 'messages' field in param", async () => {
      const err = await sdkError(client.chat.completions.create({ model: 'gpt-4o-mini' } as never));
      expectSdkError(err, OpenAI.BadRequestError, { status: 400, code: 'invalid_request', type: 'invalid_request_error', param: 'messages', message: /messages/ });
    });

    it("names an out-of-range 'temperature' in param", async () => {
      const before = fake.requests.length;
      const err = await sdkError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: HI, temperature: 5 }));
      expectSdkError(err, OpenAI.BadRequestError, { status: 400, code: 'invalid_request', type: 'invalid_request_error', param: 'temperature', message: /temperature/ });
      const wrongType = await sdkError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: HI, temperature: 'hot' } as never));
      expectSdkError(wrongType, OpenAI.BadRequestError, { status: 400, code: 'invalid_request', type: 'invalid_request_error', param: 'temperature' });
      expect(fake.requests.length).toBe(before);
    });
  });

  describe('invalid_api_key (401)', () => {
    const want = { status: 401, code: 'invalid_api_key', type: 'authentication_error', param: null } as const;

    it('refuses a call without a key', async () => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: HI }),
      });
      await expectErrorResponse(res, { ...want, message: /Missing API key/ });
    });

    it('refuses an unknown key', async () => {
      const err = await sdkError(gw.openai(`omx_live_${'A'.repeat(32)}`).chat.completions.create({ model: 'gpt-4o-mini', messages: HI }));
      expectSdkError(err, OpenAI.AuthenticationError, want);
    });

    it('refuses a key once the admin revoked it', async () => {
      const created = await gw.createKey({ name: 'to-revoke' });
      const doomed = gw.openai(created.key);
      expect((await doomed.models.list()).data.length).toBeGreaterThan(0);
      const revoked = await gw.admin('DELETE', `/admin/api/keys/${created.id}`);
      expect(revoked).toMatchObject({ id: created.id, revoked: true });
      const err = await sdkError(doomed.chat.completions.create({ model: 'gpt-4o-mini', messages: HI }));
      expectSdkError(err, OpenAI.AuthenticationError, { ...want, message: /revoked/ });
      expectSdkError(await sdkError(doomed.models.list()), OpenAI.AuthenticationError, want);
    });

    it('refuses the admin token on client routes', async () => {
      const admin = gw.openai(gw.adminToken);
      expectSdkError(await sdkError(admin.chat.completions.create({ model: 'gpt-4o-mini', messages: HI })), OpenAI.AuthenticationError, want);
      expectSdkError(await sdkError(admin.models.list()), OpenAI.AuthenticationError, want);
      expectSdkError(await sdkError(admin.get('/wallet')), OpenAI.AuthenticationError, want);
    });

    it('refuses a client key on the admin API and the playground', async () => {
      for (const [method, path] of [
        ['GET', '/admin/api/accounts'],
        ['GET', '/admin/api/doctor'],
        ['POST', '/admin/api/keys'],
        ['POST', '/playground/chat/completions'],
      ] as const) {
        const res = await fetch(`${gw.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: method === 'POST' ? JSON.stringify({ name: 'x', model: 'gpt-4o-mini', messages: HI }) : undefined,
        });
        await expectErrorResponse(res, { ...want, message: /admin token/ });
      }
      const keys = await gw.admin('GET', '/admin/api/keys');
      expect(keys.data.some((k: { name: string }) => k.name === 'x')).toBe(false);
    });
  });

  describe('invalid_signature / signature_expired (401)', () => {
    it('refuses unsigned, wrongly signed and stale calls of a key that requires signatures', async () => {
      const signed = await gw.createKey({ name: 'signed', require_signature: true });
      const before = fake.requests.length;
      const unsigned = await sdkError(gw.openai(signed.key).chat.completions.create({ model: 'gpt-4o-mini', messages: HI }));
      expectSdkError(unsigned, OpenAI.AuthenticationError, { status: 401, code: 'invalid_signature', type: 'authentication_error', param: null, message: /X-Omixa-Signature/ });

      const body = JSON.stringify({ model: 'gpt-4o-mini', messages: HI });
      const now = Math.floor(Date.now() / 1000);
      const post = (ts: number, signature: string) =>
        fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${signed.key}`, 'content-type': 'application/json', 'x-omixa-timestamp': String(ts), 'x-omixa-signature': signature },
          body,
        });
      await expectErrorResponse(await post(now, sign('not-the-key', String(now), 'POST', '/v1/chat/completions', body)), {
        status: 401,
        code: 'invalid_signature',
        type: 'authentication_error',
      });
      const stale = now - 301;
      await expectErrorResponse(await post(stale, sign(signed.key, String(stale), 'POST', '/v1/chat/completions', body)), {
        status: 401,
        code: 'signature_expired',
        type: 'authentication_error',
        message: /timestamp/,
      });
      expect(fake.requests.length).toBe(before);
      // The same request, correctly signed and on time, goes through.
      const ok = await post(now, sign(signed.key, String(now), 'POST', '/v1/chat/completions', body));
      expect(ok.status).toBe(200);
    });
  });

  describe('insufficient_balance (402)', () => {
    it('refuses a call the wallet cannot hold, leaving the wallet untouched and the upstream uncalled', async () => {
      await gw.admin('POST', '/admin/api/accounts', { name: 'broke' });
      await gw.topUp(50, 'broke'); // 50 micro-USD: far below the hold of a 4k-token answer
      const brokeKey = (await gw.createKey({ name: 'broke-key', account: 'broke' })).key;
      const before = await gw.wallet('broke');
      const upstreamBefore = fake.requests.length;

      const err = await sdkError(gw.openai(brokeKey).chat.completions.create({ model: 'gpt-4o-mini', messages: HI }));
      expectSdkError(err, OpenAI.APIError, {
        status: 402,
        code: 'insufficient_balance',
        type: 'insufficient_quota',
        param: null,
        message: 'Wallet balance is not enough for this request.',
      });

      expect(await gw.wallet('broke')).toEqual(before);
      expect(before).toMatchObject({ balance_micros: 50, locked_micros: 0, available_micros: 50 });
      expect(fake.requests.length).toBe(upstreamBefore);
      const ledger = await gw.admin('GET', '/admin/api/accounts/broke/transactions');
      expect(ledger.data.map((t: { type: string }) => t.type)).toEqual(['top_up']);
      const requestId = err.headers!.get('x-omixa-request-id')!;
      const row = await gw.admin('GET', `/admin/api/usage/requests/${requestId}`);
      expect(row).toMatchObject({ status: 'error', http_status: 402, error_code: 'insufficient_balance', cost_micros: 0, hold_micros: 0 });
    });
  });

  describe('model_not_allowed (403)', () => {
    it("refuses a model outside the key's list", async () => {
      const restricted = await gw.createKey({ name: 'only-4o', models: ['gpt-4o'] });
      const before = fake.requests.length;
      const err = await sdkError(gw.openai(restricted.key).chat.completions.create({ model: 'gpt-4o-mini', messages: HI }));
      expectSdkError(err, OpenAI.PermissionDeniedError, { status: 403, code: 'model_not_allowed', type: 'permission_error', param: 'model', message: /gpt-4o-mini/ });
      expect(fake.requests.length).toBe(before);
      // The model list the key sees leaves out what it may not use.
      const models = await gw.openai(restricted.key).models.list();
      expect(models.data.map((m) => m.id)).not.toContain('gpt-4o-mini');
    });
  });

  describe('invalid_host (403)', () => {
    it('refuses a foreign Host header (DNS rebinding) and serves loopback names', async () => {
      const port = new URL(gw.url).port;
      for (const host of ['evil.example', `evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
        const res = await rawRequest(gw.url, { path: '/v1/models', host, headers: { authorization: `Bearer ${key}` } });
        expect(res.status, host).toBe(403);
        expect(res.headers['content-type']).toContain('application/json');
        expect(res.headers['x-omixa-request-id']).toMatch(REQUEST_ID);
        const body = JSON.parse(res.body) as { error: { code: string; type: string; message: string; param: null } };
        expect(body.error).toMatchObject({ code: 'invalid_host', type: 'permission_error', param: null });
        expect(body.error.message).toMatch(/Host/);
      }
      // Even /health and the admin API are refused under a foreign name.
      expect((await rawRequest(gw.url, { path: '/health', host: 'evil.example' })).status).toBe(403);
      expect((await rawRequest(gw.url, { path: '/admin/api/accounts', host: 'evil.example', headers: { authorization: `Bearer ${gw.adminToken}` } })).status).toBe(403);

      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'localhost', `LOCALHOST:${port}`]) {
        const res = await rawRequest(gw.url, { path: '/v1/models', host, headers: { authorization: `Bearer ${key}` } });
        expect(res.status, host).toBe(200);
        expect(JSON.parse(res.body)).toMatchObject({ object: 'list' });
      }
    });
  });

  describe('model_not_found / not_found (404)', () => {
    it('refuses a model id nobody serves', async () => {
      const before = fake.requests.length;
      const unknown = await sdkError(client.chat.completions.create({ model: 'gpt-nope', messages: HI }));
      expectSdkError(unknown, OpenAI.NotFoundError, { status: 404, code: 'model_not_found', type: 'invalid_request_error', param: 'model', message: /gpt-nope/ });
      // In the catalog but without a deployment: still not found.
      const undeployed = await sdkError(client.chat.completions.create({ model: 'gpt-4o', messages: HI }));
      expectSdkError(undeployed, OpenAI.NotFoundError, { status: 404, code: 'model_not_found', type: 'invalid_request_error', param: 'model' });
      const retrieve = await sdkError(client.models.retrieve('gpt-nope'));
      expectSdkError(retrieve, OpenAI.NotFoundError, { status: 404, code: 'model_not_found', type: 'invalid_request_error', param: 'model' });
      expect(fake.requests.length).toBe(before);
    });

    it('says so when the model serves another modality than the endpoint', async () => {
      await gw.addAzureDeployment(fake, { name: 'embedder', model: 'text-embedding-3-small', deployment: 'text-embedding-3-small' });
      const before = fake.requests.length;
      const chat = await sdkError(client.chat.completions.create({ model: 'text-embedding-3-small', messages: HI }));
      expectSdkError(chat, OpenAI.NotFoundError, { status: 404, code: 'model_not_found', type: 'invalid_request_error', param: 'model', message: /'text-embedding-3-small' serves embedding, not chat completions/ });
      const embed = await sdkError(client.embeddings.create({ model: 'gpt-4o-mini', input: 'x' }));
      expectSdkError(embed, OpenAI.NotFoundError, { status: 404, code: 'model_not_found', type: 'invalid_request_error', param: 'model', message: /'gpt-4o-mini' serves chat, not embedding/ });
      expect(fake.requests.length).toBe(before);
      await gw.admin('DELETE', '/admin/api/deployments/embedder');
    });

    it('says so when the model serves another endpoint of its modality (tts-1 asked to transcribe)', async () => {
      await gw.addAzureDeployment(fake, { name: 'speaker', model: 'tts-1', deployment: 'tts-1' });
      const before = fake.requests.length;
      const form = new FormData();
      form.append('model', 'tts-1');
      form.append('file', new Blob([Buffer.alloc(64)], { type: 'audio/wav' }), 'a.wav');
      const res = await fetch(`${gw.url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
      const error = await expectErrorResponse(res, { status: 404, code: 'model_not_found', type: 'invalid_request_error', param: 'model' });
      expect(error.message).toBe("The model 'tts-1' serves /v1/audio/speech, not /v1/audio/transcriptions.");
      expect(fake.requests.length).toBe(before);
      await gw.admin('DELETE', '/admin/api/deployments/speaker');
    });

    it('answers unknown routes with not_found', async () => {
      const res = await fetch(`${gw.url}/v1/no/such/route?x=1`, { headers: { authorization: `Bearer ${key}` } });
      const error = await expectErrorResponse(res, { status: 404, code: 'not_found', type: 'not_found_error', param: null });
      expect(error.message).toContain('/v1/no/such/route');
      expect(error.message).not.toContain('x=1');
      const err = await sdkError(client.post('/embeddingz', { body: { input: 'x' } }));
      expectSdkError(err, OpenAI.NotFoundError, { status: 404, code: 'not_found', type: 'not_found_error', param: null });
    });
  });

  describe('payload_too_large (413)', () => {
    it('refuses an 11 MB JSON body', async () => {
      const before = fake.requests.length;
      const big = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(11 * 1024 * 1024) }] });
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: big,
      });
      await expectErrorResponse(res, { status: 413, code: 'payload_too_large', type: 'invalid_request_error', param: null, message: /10 MB/ });
      expect(fake.requests.length).toBe(before);
      // The gateway is still serving afterwards.
      expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    });
  });
});

describe('error catalogue: rate_limited (429)', () => {
  let fake: AzureFake;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startAzureFake();
    gw = await startTestGateway();
    await gw.addAzureDeployment(fake, { name: 'eastus-1' });
    await gw.admin('POST', '/admin/api/accounts', { name: 'limited' });
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('admits rpm calls, refuses the next with Retry-After and x-ratelimit-*, and does not count refused calls', async () => {
    const limited = await gw.createKey({ name: 'rpm2', account: 'limited', rpm: 2 });
    const client = gw.openai(limited.key);
    const ask = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: HI }).withResponse();

    // Calls the gateway refuses itself: none of these may use up the key's two calls a minute.
    expect((await sdkError(ask())).status).toBe(402); // the wallet is empty
    expect((await sdkError(client.chat.completions.create({ model: 'gpt-nope', messages: HI }))).status).toBe(404);
    expect((await sdkError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: HI, temperature: 9 }))).status).toBe(400);
    expect(fake.requests.length).toBe(0);

    await gw.topUp(10_000_000, 'limited');
    const first = await ask();
    expect(first.response.status).toBe(200);
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    const second = await ask();
    expect(second.response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(fake.requests.length).toBe(2);

    const walletBefore = await gw.wallet('limited');
    const err = await sdkError(ask());
    expectSdkError(err, OpenAI.RateLimitError, {
      status: 429,
      code: 'rate_limited',
      type: 'rate_limit_error',
      param: null,
      message: 'Developer key exceeded rate limits.',
    });
    const retryAfter = Number(err.headers!.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(err.headers!.get('x-ratelimit-limit-requests')).toBe('2');
    expect(err.headers!.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(err.headers!.get('x-ratelimit-reset-requests')).toMatch(/^\d+s$/);
    expect(fake.requests.length).toBe(2);
    expect(await gw.wallet('limited')).toEqual(walletBefore);

    // A refused call does not push the window further: the next one is refused with no longer a wait.
    const again = await sdkError(ask());
    expect(again.status).toBe(429);
    expect(Number(again.headers!.get('retry-after'))).toBeLessThanOrEqual(retryAfter);

    // Other keys of the same account are not limited by this key's budget.
    const other = (await gw.createKey({ name: 'unlimited', account: 'limited' })).key;
    const res = await gw.openai(other).chat.completions.create({ model: 'gpt-4o-mini', messages: HI }).withResponse();
    expect(res.response.status).toBe(200);
    expect(res.response.headers.get('x-ratelimit-limit-requests')).toBeNull();
  });
});

describe('error catalogue: upstream_error (502) then no_healthy_deployment (503)', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startAzureFake({ reply: () => ({ status: 500 }) });
    gw = await startTestGateway();
    await gw.addAzureDeployment(fake, { name: 'only-one' });
    await gw.topUp(10_000_000);
    client = gw.openai((await gw.createKey({ name: 'upstream' })).key);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('answers 502 when the only deployment fails, releasing the hold and capturing nothing', async () => {
    const before = await gw.wallet();
    const err = await sdkError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: HI, max_tokens: 100 }));
    expectSdkError(err, OpenAI.InternalServerError, { status: 502, code: 'upstream_error', type: 'api_error', param: null, message: /upstream/i });
    expect(fake.requests.length).toBe(1);

    const after = await gw.wallet();
    expect(after).toEqual({ ...before, locked_micros: 0 });
    expect(after.balance_micros).toBe(before.balance_micros);

    const requestId = err.headers!.get('x-omixa-request-id')!;
    const ledger = await gw.admin('GET', '/admin/api/accounts/default/transactions');
    const moves = ledger.data.filter((t: { request_id: string }) => t.request_id === requestId) as { type: string; amount_micros: number }[];
    expect(moves.map((m) => m.type).sort()).toEqual(['hold', 'release']);
    const hold = moves.find((m) => m.type === 'hold')!;
    expect(hold.amount_micros).toBeGreaterThan(0);
    expect(moves.find((m) => m.type === 'release')!.amount_micros).toBe(hold.amount_micros);
    const row = await gw.admin('GET', `/admin/api/usage/requests/${requestId}`);
    expect(row).toMatchObject({ status: 'error', http_status: 502, error_code: 'upstream_error', cost_micros: 0 });
    expect((await gw.admin('GET', '/admin/api/doctor')).ledger_ok).toBe(true);
  });

  it('answers 503 while the failed deployment cools down, without calling it', async () => {
    const before = await gw.wallet();
    const upstreamBefore = fake.requests.length;
    const err = await sdkError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: HI }));
    expectSdkError(err, OpenAI.InternalServerError, {
      status: 503,
      code: 'no_healthy_deployment',
      type: 'api_error',
      param: null,
      message: 'No healthy Azure deployment available.',
    });
    expect(fake.requests.length).toBe(upstreamBefore);
    expect(await gw.wallet()).toEqual(before);
    expect(before.locked_micros).toBe(0);
  });
});

describe('error catalogue: upstream_timeout (504)', () => {
  let fake: AzureFake;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startAzureFake({ firstByteDelayMs: 1000 });
    gw = await startTestGateway({ env: { OMIXA_UPSTREAM_TIMEOUT_MS: '300' } });
    await gw.addAzureDeployment(fake, { name: 'slow' });
    await gw.topUp(10_000_000);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('gives up on an upstream that sends no headers in time', async () => {
    const client = gw.openai((await gw.createKey({ name: 'timeout' })).key);
    const before = await gw.wallet();
    const started = performance.now();
    const err = await sdkError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: HI }));
    const elapsed = performance.now() - started;
    expectSdkError(err, OpenAI.InternalServerError, { status: 504, code: 'upstream_timeout', type: 'api_error', param: null, message: /in time/ });
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(900); // the configured 300 ms, well before the fake would have answered
    expect(fake.requests.length).toBe(1);
    const after = await gw.wallet();
    expect(after.balance_micros).toBe(before.balance_micros);
    expect(after.locked_micros).toBe(0);
  });
});

describe('error catalogue: internal_error (500)', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({ deployments: [{ name: 'eastus-1' }], key: { name: 'internal' } });
    ({ fake, gw, key } = setup);
    return setup.close;
  });

  it('answers 500 internal_error without internals when the database refuses to write', async () => {
    // The usage table refuses inserts, as a full or failing disk would.
    gw.gateway.store.db.exec("CREATE TRIGGER refuse_requests BEFORE INSERT ON requests BEGIN SELECT RAISE(ABORT, 'disk I/O refused by test trigger'); END;");
    const before = await gw.wallet();

    const err = await sdkError(gw.openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: HI }));
    expectSdkError(err, OpenAI.InternalServerError, { status: 500, code: 'internal_error', type: 'api_error', param: null });

    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: HI }),
    });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-omixa-request-id')).toMatch(REQUEST_ID);
    const text = await res.text();
    const body = JSON.parse(text) as { error: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatchObject({ code: 'internal_error', type: 'api_error', param: null });
    for (const leak of ['disk I/O refused', 'SqliteError', 'RAISE', 'trigger', 'stack', '    at ', '.ts', '.js', '/work', 'node_modules', 'src-gateway']) {
      expect(text).not.toContain(leak);
    }

    // Nothing was called or charged, and the gateway keeps serving what does not write.
    expect(fake.requests.length).toBe(0);
    expect(await gw.wallet()).toEqual(before);
    expect((await gw.admin('GET', '/admin/api/doctor')).ledger_ok).toBe(true);
    expect(await (await fetch(`${gw.url}/health`)).json()).toMatchObject({ status: 'ok' });

    // Once the database accepts writes again, so does the gateway.
    gw.gateway.store.db.exec('DROP TRIGGER refuse_requests');
    const ok = await gw.openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: HI });
    expect(ok.choices[0]!.message.content).toBe('Echo: Hi');
  });
});
