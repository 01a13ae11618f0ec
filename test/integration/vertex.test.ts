import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { startGeminiFake, type GeminiFake } from '../support/fakes/gemini.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { tokenCost } from '../support/token-cost.js';

// gemini-2.5-flash catalog prices in micro-USD per MTok: input 300000, cached 75000, output 2500000.
const costOf = tokenCost({ input: 300_000, cached: 75_000, output: 2_500_000 });

/** A service-account key JSON as the Google Cloud console downloads it, with a fresh RSA key and our token endpoint. */
function serviceAccount(fake: GeminiFake, name: string, trusted = true): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const email = `${name}@omixa-sa-project.iam.gserviceaccount.com`;
  if (trusted) fake.addServiceAccount(email, publicKey);
  return JSON.stringify({
    type: 'service_account',
    project_id: 'omixa-sa-project',
    private_key_id: `${name}-key-1`,
    private_key: privateKey,
    client_email: email,
    client_id: '100000000000000000001',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: `${fake.url}/token`,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    universe_domain: 'googleapis.com',
  });
}

describe('OpenAI clients served by a Vertex AI deployment', () => {
  let fake: GeminiFake;
  let gw: TestGateway;
  let key: string;
  let client: OpenAI;
  const vertexCalls = () => fake.requests.filter((r) => r.surface === 'vertex');

  const addVertex = (name: string, input: Record<string, unknown>) =>
    gw.admin('POST', '/admin/api/deployments', { name, provider: 'vertex', endpoint: fake.url, model: 'gemini-2.5-flash', deployment: 'gemini-2.5-flash', ...input });

  beforeAll(async () => {
    fake = await startGeminiFake({ chunkDelayMs: 25 });
    gw = await startTestGateway();
    await addVertex('vertex-eu', { api_key: serviceAccount(fake, 'gateway'), options: { project: 'omixa-prod', location: 'europe-west4' } });
    await gw.topUp(10_000_000);
    key = (await gw.createKey()).key;
    client = gw.openai(key);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('answers chat calls with a minted access token, minted once and reused, and bills each call exactly', async () => {
    fake.setOptions({ reply: () => ({ text: 'Hallo!', usage: { prompt: 2000, cached: 500, candidates: 120, thoughts: 30 } }) });
    const before = await gw.wallet();
    const first = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hello in German' }] });
    expect(first.choices[0]!.message.content).toBe('Hallo!');
    expect(first.usage).toMatchObject({ prompt_tokens: 2000, completion_tokens: 150, prompt_tokens_details: { cached_tokens: 500 } });
    const afterFirst = await gw.wallet();
    const expected = costOf(2000, 500, 150);
    // 1500 × 0.30 + 500 × 0.075 + 150 × 2.50 = 862.5 µUSD: rounded half up, once, on the total.
    expect(expected).toBe(863);
    expect(before.balance_micros - afterFirst.balance_micros).toBe(expected);

    const call = vertexCalls().at(-1)!;
    expect(call.path).toBe('/v1/projects/omixa-prod/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent');
    expect(call.headers.authorization).toMatch(/^Bearer ya29\.fake-/);
    expect(call.headers['x-goog-api-key']).toBeUndefined();
    expect(call.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hello in German' }] }] });
    expect(fake.mints).toBe(1);
    const token = fake.requests.find((r) => r.surface === 'token')!;
    expect(token.body.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');

    // Two more calls, one streamed, at once: the cached token serves them all.
    fake.setOptions({ reply: () => ({ text: 'eins zwei drei vier fünf sechs', usage: { prompt: 40, candidates: 6 } }) });
    const pending = client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'count' }] });
    const stream = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'count' }], stream: true });
    const arrivals: number[] = [];
    let text = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) {
        text += delta;
        arrivals.push(performance.now());
      }
    }
    expect(text).toBe('eins zwei drei vier fünf sechs');
    // Six words 25 ms apart: from the second on (the first may carry the process's first-stream warm-up) they arrive spread out.
    expect(arrivals[arrivals.length - 1]! - arrivals[1]!).toBeGreaterThan(4 * 25 * 0.7);
    expect((await pending).choices[0]!.message.content).toBe('eins zwei drei vier fünf sechs');
    expect(vertexCalls().find((r) => r.stream)!.path).toMatch(/:streamGenerateContent$/);
    expect(vertexCalls().find((r) => r.stream)!.query).toEqual({ alt: 'sse' });
    expect(new Set(vertexCalls().map((r) => r.headers.authorization)).size).toBe(1);
    expect(fake.mints).toBe(1);
    const after = await gw.wallet();
    expect(afterFirst.balance_micros - after.balance_micros).toBe(2 * costOf(40, 0, 6));
    expect(after.locked_micros).toBe(0);
  });

  it('proves the deployment with a test call through the same token', async () => {
    const result = await gw.admin('POST', '/admin/api/deployments/vertex-eu/test');
    expect(result).toMatchObject({ ok: true, status: 200, error: null });
    expect(fake.mints).toBe(1);
  });

  it('takes the project from the key and the location from the region when no options are set', async () => {
    await addVertex('vertex-us', { model: 'gemini-2.5-pro', deployment: 'gemini-2.5-pro', region: 'us-east5', api_key: serviceAccount(fake, 'second') });
    fake.setOptions({ models: ['gemini-2.5-flash', 'gemini-2.5-pro'], reply: undefined });
    const res = await client.chat.completions.create({ model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0]!.message.content).toBe('Echo: hi');
    expect(vertexCalls().at(-1)!.path).toBe('/v1/projects/omixa-sa-project/locations/us-east5/publishers/google/models/gemini-2.5-pro:generateContent');
    expect(fake.mints).toBe(2); // a second service account, a second token
  });

  it('fails over past a deployment whose credentials the token endpoint refuses, and cools it down', async () => {
    await gw.admin('DELETE', '/admin/api/deployments/vertex-us');
    await addVertex('vertex-untrusted', { model: 'gemini-2.5-pro', deployment: 'gemini-2.5-pro', priority: 0, api_key: serviceAccount(fake, 'rogue', false), options: { project: 'p' } });
    await addVertex('vertex-backup', { model: 'gemini-2.5-pro', deployment: 'gemini-2.5-pro', priority: 1, api_key: serviceAccount(fake, 'backup'), options: { project: 'backup-project' } });
    fake.setOptions({ reply: () => ({ text: 'served by the backup', usage: { prompt: 10, candidates: 4 } }) });
    const before = await gw.wallet();
    const { data, response } = await client.chat.completions.create({ model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe('served by the backup');
    expect(vertexCalls().at(-1)!.project).toBe('backup-project');
    const row = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
    expect(row).toMatchObject({ status: 'ok', deployment_name: 'vertex-backup', attempts: 2 });
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(row.cost_micros);

    const health = (await gw.admin('GET', '/admin/api/deployments/vertex-untrusted')).health;
    expect(health.last_error).toContain('could not authorize');
    expect(health.last_error).toContain('invalid_grant');
    expect(health.cooling_until).toBeGreaterThan(Date.now());
  });

  it('refuses a secret that is not a service-account key without calling the upstream', async () => {
    await gw.admin('DELETE', '/admin/api/deployments/vertex-untrusted');
    await gw.admin('DELETE', '/admin/api/deployments/vertex-backup');
    await addVertex('vertex-bad-secret', { model: 'gemini-2.5-pro', deployment: 'gemini-2.5-pro', api_key: 'AIza-not-a-service-account', options: { project: 'p' } });
    const calls = vertexCalls().length;
    const err = await client.chat.completions.create({ model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(502);
    expect((err as Error).message).toContain('not a service-account key');
    expect(vertexCalls().length).toBe(calls);
    expect((await gw.wallet()).locked_micros).toBe(0);
    const test = await gw.admin('POST', '/admin/api/deployments/vertex-bad-secret/test');
    expect(test.ok).toBe(false);
  });
});
