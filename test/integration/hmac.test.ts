/**
 * HMAC request signing (API.md §2): `X-Omixa-Timestamp` + `X-Omixa-Signature: sha256=<hex hmac_sha256(key,
 * timestamp + "." + METHOD + "." + path + "." + raw_body)>`, required per key (`require_signature`) or globally
 * (admin setting / `OMIXA_REQUIRE_SIGNATURE`). Real SDK calls are signed by a custom `fetch` handed to the `openai` SDK.
 * Multipart uploads: hmac-multipart.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { sdkError } from '../support/api-errors.js';
import { startAzureFake, type AzureFake } from '../support/fakes/azure-openai.js';
import { startAzureGateway } from '../support/funded-gateway.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { sign, signingFetch, type SignedRequest, type SigningTweaks } from '../support/signing.js';

type ApiError = InstanceType<typeof OpenAI.APIError>;

function sdk(gw: TestGateway, key: string, options: { basePath?: '/v1' | '/api/v1'; signing?: SigningTweaks | false } = {}): OpenAI {
  return new OpenAI({
    apiKey: key,
    baseURL: `${gw.url}${options.basePath ?? '/v1'}`,
    maxRetries: 0,
    ...(options.signing === false ? {} : { fetch: signingFetch(key, options.signing ?? {}) }),
  });
}

function expectAuthError(err: ApiError, code: 'invalid_signature' | 'signature_expired' | 'invalid_api_key', message?: RegExp): void {
  expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  expect(err.status).toBe(401);
  expect(err.code).toBe(code);
  expect(err.type).toBe('authentication_error');
  expect(err.param ?? null).toBeNull();
  expect(err.headers?.get('x-omixa-request-id')).toMatch(/^req_/);
  if (message) expect((err.error as { message: string }).message).toMatch(message);
}

let counter = 0;
/** A chat call with a body unique to this test run, so no two calls share a signature by accident. */
const chat = (client: OpenAI) =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hello #${++counter}` }] });

describe('HMAC signatures required per key', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let signedKey: string;
  let plainKey: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({ deployments: [{ name: 'eastus-1' }], key: { name: 'signed', require_signature: true } });
    ({ fake, gw, key: signedKey } = setup);
    plainKey = (await gw.createKey({ name: 'plain' })).key;
    return setup.close;
  });

  it('serves correctly signed SDK calls on /v1 and /api/v1, POST and GET, with or without a query', async () => {
    const v1 = sdk(gw, signedKey);
    const completion = await chat(v1);
    expect(completion.choices[0]!.message.content).toBe(`Echo: hello #${counter}`);
    const api = sdk(gw, signedKey, { basePath: '/api/v1' });
    expect((await chat(api)).object).toBe('chat.completion');

    // GET: empty raw body. The query string is not part of the signed path.
    expect((await v1.models.list()).data.map((m) => m.id)).toContain('gpt-4o-mini');
    const seen: string[] = [];
    const withQuery = sdk(gw, signedKey, { basePath: '/api/v1', signing: { onSigned: (s) => seen.push(s.url) } });
    const page = await withQuery.get<{ object: string; data: unknown[] }>('/wallet/transactions', { query: { limit: 1 } });
    expect(page.object).toBe('list');
    expect(page.data).toHaveLength(1);
    expect(seen[0]).toContain('?limit=1');
  });

  it('signs the raw body byte for byte, whitespace and non-ASCII included', async () => {
    const body = '{ "model" : "gpt-4o-mini",\n  "messages": [ { "role": "user", "content": "héllo ✓ 日本 🚀" } ] }';
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signedKey}`, 'content-type': 'application/json', 'x-omixa-timestamp': ts, 'x-omixa-signature': sign(signedKey, ts, 'POST', '/v1/chat/completions', body) },
      body,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('Echo: héllo ✓ 日本 🚀');
    // The same body re-serialised compactly is a different raw body: its signature does not match.
    const compact = JSON.stringify(JSON.parse(body));
    const ts2 = String(Math.floor(Date.now() / 1000));
    const res2 = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signedKey}`, 'content-type': 'application/json', 'x-omixa-timestamp': ts2, 'x-omixa-signature': sign(signedKey, ts2, 'POST', '/v1/chat/completions', body) },
      body: compact,
    });
    expect(res2.status).toBe(401);
    expect(((await res2.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
  });

  it('refuses a call without the signature headers', async () => {
    const before = fake.requests.length;
    expectAuthError(await sdkError(chat(sdk(gw, signedKey, { signing: false }))), 'invalid_signature', /X-Omixa-Timestamp and X-Omixa-Signature/);
    expectAuthError(await sdkError(sdk(gw, signedKey, { signing: false }).models.list()), 'invalid_signature');

    // One header without the other is still missing headers.
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'half' }] });
    const ts = String(Math.floor(Date.now() / 1000));
    const halves: Record<string, string>[] = [{ 'x-omixa-timestamp': ts }, { 'x-omixa-signature': sign(signedKey, ts, 'POST', '/v1/chat/completions', body) }];
    for (const headers of halves) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${signedKey}`, 'content-type': 'application/json', ...headers },
        body,
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('x-omixa-request-id')).toMatch(/^req_/);
      expect(((await res.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'invalid_signature', type: 'authentication_error' });
    }
    expect(fake.requests.length).toBe(before);
  });

  it('refuses a wrong signature: another key, a garbled value, a non-numeric timestamp', async () => {
    const before = fake.requests.length;
    expectAuthError(await sdkError(chat(sdk(gw, signedKey, { signing: { signingKey: plainKey } }))), 'invalid_signature');
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'garbled' }] });
    const ts = String(Math.floor(Date.now() / 1000));
    const good = sign(signedKey, ts, 'POST', '/v1/chat/completions', body);
    for (const [timestamp, signature] of [
      [ts, good.slice(0, -1) + (good.endsWith('0') ? '1' : '0')],
      [ts, good.replace('sha256=', 'sha1=')],
      [ts, good.slice('sha256='.length)],
      [ts, 'sha256='],
      [`${ts}.0`, good],
      ['yesterday', good],
      [String(Number(ts) + 1), good], // signed for another second
    ]) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${signedKey}`, 'content-type': 'application/json', 'x-omixa-timestamp': timestamp!, 'x-omixa-signature': signature! },
        body,
      });
      expect(res.status, `${timestamp} ${signature}`).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    }
    // A signature over the GET method is not valid for a POST.
    const asGet = sign(signedKey, ts, 'GET', '/v1/chat/completions', body);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signedKey}`, 'content-type': 'application/json', 'x-omixa-timestamp': ts, 'x-omixa-signature': asGet },
      body,
    });
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    expect(fake.requests.length).toBe(before);
  });

  // Whole-second timestamps against a millisecond clock: the skews keep a second of margin either side of 300 s.
  it('refuses a timestamp more than 300 s away with signature_expired, and takes one just inside', async () => {
    const before = fake.requests.length;
    expectAuthError(await sdkError(chat(sdk(gw, signedKey, { signing: { skewSeconds: -301 } }))), 'signature_expired', /timestamp/);
    expectAuthError(await sdkError(chat(sdk(gw, signedKey, { signing: { skewSeconds: 302 } }))), 'signature_expired');
    expectAuthError(await sdkError(chat(sdk(gw, signedKey, { signing: { skewSeconds: -86_400 } }))), 'signature_expired');
    expect(fake.requests.length).toBe(before);
    expect((await chat(sdk(gw, signedKey, { signing: { skewSeconds: -298 } }))).object).toBe('chat.completion');
    expect((await chat(sdk(gw, signedKey, { signing: { skewSeconds: 298 } }))).object).toBe('chat.completion');
  });

  it('refuses the same signature a second time (replay)', async () => {
    const captured: SignedRequest[] = [];
    const client = sdk(gw, signedKey, { signing: { onSigned: (s) => captured.push(s) } });
    await chat(client);
    expect(captured).toHaveLength(1);
    const { timestamp, signature, url, body } = captured[0]!;
    const before = fake.requests.length;
    const replay = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${signedKey}`, 'content-type': 'application/json', 'x-omixa-timestamp': timestamp, 'x-omixa-signature': signature },
      body,
    });
    expect(replay.status).toBe(401);
    const error = ((await replay.json()) as { error: { code: string; type: string; message: string } }).error;
    expect(error).toMatchObject({ code: 'invalid_signature', type: 'authentication_error' });
    expect(error.message).toMatch(/already used/);
    // Upper-case hex is the same signature, not a fresh one.
    const shouted = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${signedKey}`, 'content-type': 'application/json', 'x-omixa-timestamp': timestamp, 'x-omixa-signature': `sha256=${signature.slice(7).toUpperCase()}` },
      body,
    });
    expect(shouted.status).toBe(401);
    expect(fake.requests.length).toBe(before);
  });

  it('refuses a signature over the /v1 path used on /api/v1', async () => {
    const before = fake.requests.length;
    const client = sdk(gw, signedKey, { basePath: '/api/v1', signing: { signedPath: (p) => p.replace(/^\/api\/v1\//, '/v1/') } });
    expectAuthError(await sdkError(chat(client)), 'invalid_signature');
    // And the other way round.
    const reverse = sdk(gw, signedKey, { basePath: '/v1', signing: { signedPath: (p) => `/api${p}` } });
    expectAuthError(await sdkError(chat(reverse)), 'invalid_signature');
    expect(fake.requests.length).toBe(before);
  });

  it('checks the key before the signature, and leaves keys without the flag alone', async () => {
    const unknown = `omx_live_${'B'.repeat(32)}`;
    expectAuthError(await sdkError(chat(sdk(gw, unknown))), 'invalid_api_key');
    // Global signing is off: a plain key needs no signature, and a stray bad one is ignored.
    expect((await chat(sdk(gw, plainKey, { signing: false }))).object).toBe('chat.completion');
    expect((await chat(sdk(gw, plainKey, { signing: { signingKey: 'wrong' } }))).object).toBe('chat.completion');
  });
});

describe('HMAC signatures required globally', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let plainKey: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({ deployments: [{ name: 'eastus-1' }], key: { name: 'plain' } });
    ({ fake, gw, key: plainKey } = setup);
    return setup.close;
  });

  it('applies the admin setting to every key at once, and lifts it again', async () => {
    expect((await chat(sdk(gw, plainKey, { signing: false }))).object).toBe('chat.completion');

    const on = await gw.admin('PATCH', '/admin/api/settings', { require_signature: true });
    expect(on.require_signature).toBe(true);
    expect((await gw.admin('GET', '/admin/api/settings')).require_signature).toBe(true);

    const before = fake.requests.length;
    expectAuthError(await sdkError(chat(sdk(gw, plainKey, { signing: false }))), 'invalid_signature');
    expectAuthError(await sdkError(sdk(gw, plainKey, { signing: false, basePath: '/api/v1' }).models.list()), 'invalid_signature');
    expectAuthError(await sdkError(chat(sdk(gw, plainKey, { signing: { skewSeconds: -400 } }))), 'signature_expired');
    expectAuthError(await sdkError(chat(sdk(gw, plainKey, { basePath: '/api/v1', signing: { signedPath: (p) => p.replace('/api/v1/', '/v1/') } }))), 'invalid_signature');
    expect(fake.requests.length).toBe(before);
    expect((await chat(sdk(gw, plainKey))).object).toBe('chat.completion');
    expect((await chat(sdk(gw, plainKey, { basePath: '/api/v1' }))).object).toBe('chat.completion');

    // Admin routes use the admin token, never signatures.
    expect((await gw.admin('GET', '/admin/api/doctor')).ledger_ok).toBe(true);

    const off = await gw.admin('PATCH', '/admin/api/settings', { require_signature: false });
    expect(off.require_signature).toBe(false);
    expect((await chat(sdk(gw, plainKey, { signing: false }))).object).toBe('chat.completion');
  });

  it('refuses a non-boolean setting', async () => {
    await expect(gw.admin('PATCH', '/admin/api/settings', { require_signature: 'yes' })).rejects.toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', param: 'require_signature' } },
    });
    expect((await gw.admin('GET', '/admin/api/settings')).require_signature).toBe(false);
  });
});

describe('HMAC signatures required by OMIXA_REQUIRE_SIGNATURE', () => {
  let fake: AzureFake;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startAzureFake();
    gw = await startTestGateway({ env: { OMIXA_REQUIRE_SIGNATURE: 'true' } });
    await gw.addAzureDeployment(fake, { name: 'eastus-1' });
    await gw.topUp(10_000_000);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('requires signatures from every key, whatever the admin setting says', async () => {
    const key = (await gw.createKey({ name: 'env' })).key;
    expect((await gw.admin('PATCH', '/admin/api/settings', { require_signature: false })).require_signature).toBe(true);
    expectAuthError(await sdkError(chat(sdk(gw, key, { signing: false }))), 'invalid_signature');
    expect(fake.requests.length).toBe(0);
    expect((await chat(sdk(gw, key))).object).toBe('chat.completion');
  });
});
