import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startAzureFake, type AzureFake, type AzureFakeOptions } from '../support/fakes/azure-openai.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

interface Setup {
  gw: TestGateway;
  fakes: AzureFake[];
  key: string;
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!();
});

/** A gateway with one Azure fake per entry, each a deployment of gpt-4o-mini named d0, d1, … */
async function setup(deployments: { fake?: AzureFakeOptions; deployment?: Record<string, unknown> }[], env: Record<string, string> = {}, dataDir?: string): Promise<Setup> {
  const fakes: AzureFake[] = [];
  for (const d of deployments) {
    const fake = await startAzureFake({ chunkDelayMs: 5, ...d.fake });
    fakes.push(fake);
    open.push(() => fake.close());
  }
  const gw = await startTestGateway({ env, dataDir });
  open.push(() => gw.close());
  if (!dataDir || (await gw.admin('GET', '/admin/api/deployments')).data.length === 0) {
    for (const [i, d] of deployments.entries()) await gw.addAzureDeployment(fakes[i]!, { name: `d${i}`, ...d.deployment });
    await gw.topUp(100_000_000);
  }
  const { key } = await gw.createKey();
  return { gw, fakes, key };
}

const ask = (client: OpenAI, extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 50, ...extra } as never) as Promise<OpenAI.ChatCompletion>;

async function health(gw: TestGateway, name: string) {
  return (await gw.admin('GET', `/admin/api/deployments/${name}`)).health;
}

describe('failover before the first byte', () => {
  it('moves past a 429 to the next deployment, honours Retry-After and bills once', async () => {
    const { gw, fakes, key } = await setup([
      { fake: { reply: () => ({ status: 429, retryAfterSeconds: 7 }) }, deployment: { priority: 0 } },
      { deployment: { priority: 1 } },
    ]);
    const before = await gw.wallet();
    const { data, response } = await gw.openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0]!.message.content).toContain('Echo');
    expect(fakes[0]!.requests).toHaveLength(1);
    expect(fakes[1]!.requests).toHaveLength(1);

    const h = await health(gw, 'd0');
    expect(h.last_error).toContain('429');
    expect(h.cooling_until - Date.now()).toBeGreaterThan(5_000);
    expect(h.cooling_until - Date.now()).toBeLessThanOrEqual(7_000);

    const id = response.headers.get('x-omixa-request-id')!;
    const row = await gw.admin('GET', `/admin/api/usage/requests/${id}`);
    expect(row).toMatchObject({ status: 'ok', attempts: 2, deployment_name: 'd1' });
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(row.cost_micros);
    const ledger = await gw.admin('GET', `/admin/api/accounts/default/transactions?limit=500`);
    expect(ledger.data.filter((t: { request_id: string; type: string }) => t.request_id === id && t.type === 'capture')).toHaveLength(1);

    // While d0 cools down, calls go straight to d1.
    await ask(gw.openai(key));
    expect(fakes[0]!.requests).toHaveLength(1);
  });

  it('regression: honours a Retry-After longer than the back-off cap on 429 and 503, and the health view says so', async () => {
    const { gw, fakes, key } = await setup([
      { fake: { reply: () => ({ status: 429, retryAfterSeconds: 300 }) }, deployment: { priority: 0 } },
      { fake: { reply: () => ({ status: 503, retryAfterSeconds: 600 }) }, deployment: { priority: 1 } },
      { deployment: { priority: 2 } },
    ]);
    const reply = await ask(gw.openai(key));
    expect(reply.choices[0]!.message.content).toContain('Echo');
    expect(fakes.map((f) => f.requests.length)).toEqual([1, 1, 1]);

    const throttled = await health(gw, 'd0');
    expect(throttled).toMatchObject({ cooling_reason: 'retry_after', consecutive_failures: 1 });
    expect(throttled.cooling_until - Date.now()).toBeGreaterThan(290_000);
    expect(throttled.cooling_until - Date.now()).toBeLessThanOrEqual(300_000);
    const unavailable = await health(gw, 'd1');
    expect(unavailable).toMatchObject({ cooling_reason: 'retry_after', last_error: expect.stringContaining('503') });
    expect(unavailable.cooling_until - Date.now()).toBeGreaterThan(590_000);
    expect(unavailable.cooling_until - Date.now()).toBeLessThanOrEqual(600_000);

    // The dashboard's health list shows the same cooldown and why.
    const rows = (await gw.admin('GET', '/admin/api/health')).data as { name: string; cooling_until: number | null; cooling_reason: string | null }[];
    expect(rows.find((r) => r.name === 'd0')).toMatchObject({ cooling_until: throttled.cooling_until, cooling_reason: 'retry_after' });
    expect(rows.find((r) => r.name === 'd2')).toMatchObject({ cooling_until: null, cooling_reason: null });

    await ask(gw.openai(key));
    expect(fakes.map((f) => f.requests.length)).toEqual([1, 1, 2]);
  });

  it('takes a Retry-After only from a 429 or a 503: a 500 carrying one gets the back-off', async () => {
    const { gw, fakes, key } = await setup([{ fake: { reply: () => ({ status: 500, retryAfterSeconds: 300 }) }, deployment: { priority: 0 } }, { deployment: { priority: 1 } }]);
    await ask(gw.openai(key));
    expect(fakes.map((f) => f.requests.length)).toEqual([1, 1]);
    const h = await health(gw, 'd0');
    expect(h).toMatchObject({ cooling_reason: 'backoff', consecutive_failures: 1 });
    expect(h.cooling_until - Date.now()).toBeLessThanOrEqual(5_000);
  });

  it('fails over on 500, connection refused and slow headers; backs off exponentially', async () => {
    const refused = await startAzureFake();
    const refusedUrl = refused.url;
    await refused.close();
    const { gw, fakes, key } = await setup(
      [
        { fake: { reply: () => ({ status: 500 }) }, deployment: { priority: 0 } },
        { fake: { firstByteDelayMs: 2_000 }, deployment: { priority: 1 } },
        { deployment: { priority: 2 } },
      ],
      { OMIXA_UPSTREAM_TIMEOUT_MS: '300' },
    );
    await gw.admin('POST', '/admin/api/deployments', { name: 'dead', model: 'gpt-4o-mini', endpoint: refusedUrl, api_key: 'azure-secret-1', priority: 3 });
    const reply = await ask(gw.openai(key));
    expect(reply.choices[0]!.message.content).toContain('Echo');
    expect(fakes.map((f) => f.requests.length)).toEqual([1, 1, 1]);
    expect((await health(gw, 'd1')).last_error).toContain('timeout');
    const first = await health(gw, 'd0');
    expect(first.consecutive_failures).toBe(1);
  });

  it('never retries after the first byte: the stream ends with an error event', async () => {
    const { gw, fakes, key } = await setup([{ fake: { reply: () => ({ content: 'a b c d e f g h', failAfterEvents: 4 }) }, deployment: { priority: 0 } }, { deployment: { priority: 1 } }]);
    const stream = await gw.openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      })(),
    ).rejects.toThrow(/ended before it was complete/);
    expect(text.length).toBeGreaterThan(0);
    expect(fakes[1]!.requests).toHaveLength(0);
    await expect.poll(async () => (await gw.wallet()).locked_micros).toBe(0);
  });

  it('answers 502 when every attempt failed and 503 when nothing has capacity', async () => {
    const { gw, fakes, key } = await setup([{ fake: { reply: () => ({ status: 503 }) } }, { fake: { reply: () => ({ status: 500 }) } }]);
    const before = await gw.wallet();
    const err502 = await ask(gw.openai(key)).catch((e: unknown) => e);
    expect(err502).toBeInstanceOf(OpenAI.APIError);
    expect((err502 as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((err502 as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_error');
    expect(fakes[0]!.requests.length + fakes[1]!.requests.length).toBe(2);

    const err503 = await ask(gw.openai(key)).catch((e: unknown) => e);
    expect((err503 as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((err503 as InstanceType<typeof OpenAI.APIError>).code).toBe('no_healthy_deployment');
    expect(fakes[0]!.requests.length + fakes[1]!.requests.length).toBe(2);
    expect((await gw.wallet()).balance_micros).toBe(before.balance_micros);
  });

  it("the SDK's own retries after 5xx are never billed twice", async () => {
    let calls = 0;
    const { gw, key } = await setup([{ fake: { reply: () => (++calls <= 1 ? { status: 500 } : { usage: { prompt_tokens: 100, completion_tokens: 10 } }) } }], {});
    // Cooldown would turn the SDK's retry into a 503; shorten nothing and let the SDK retry into the cooled deployment.
    const before = await gw.wallet();
    const client = gw.openai(key, { maxRetries: 2 });
    const result = await ask(client).catch((e: unknown) => e);
    const after = await gw.wallet();
    const usage = await gw.admin('GET', '/admin/api/usage/requests?limit=10');
    const captured = usage.data.reduce((sum: number, r: { cost_micros: number }) => sum + r.cost_micros, 0);
    expect(before.balance_micros - after.balance_micros).toBe(captured);
    expect(usage.data.filter((r: { status: string }) => r.status === 'ok').length).toBeLessThanOrEqual(1);
    expect(after.locked_micros).toBe(0);
    void result;
  });
});

describe('choosing among healthy deployments', () => {
  it('splits traffic by weight within a priority', async () => {
    const { gw, fakes, key } = await setup([{ deployment: { weight: 3 } }, { deployment: { weight: 1 } }]);
    const client = gw.openai(key);
    for (let batch = 0; batch < 20; batch++) await Promise.all(Array.from({ length: 10 }, () => ask(client)));
    const share = fakes[0]!.requests.length / 200;
    expect(share).toBeGreaterThan(0.62);
    expect(share).toBeLessThan(0.88);
  });

  it('uses a lower priority only when the better one cannot take the call', async () => {
    const { gw, fakes, key } = await setup([{ deployment: { priority: 0, rpm: 3 } }, { deployment: { priority: 5 } }]);
    const client = gw.openai(key);
    for (let i = 0; i < 5; i++) await ask(client);
    expect(fakes.map((f) => f.requests.length)).toEqual([3, 2]);
    const h = await health(gw, 'd0');
    expect(h.requests_last_minute).toBe(3);
  });

  it('answers 503 when every deployment window is full, and counts actual tokens, not the estimate', async () => {
    const { gw, fakes, key } = await setup([{ fake: { reply: () => ({ content: 'ok', usage: { prompt_tokens: 400, completion_tokens: 100 } }) }, deployment: { tpm: 1_050 } }]);
    const client = gw.openai(key);
    await ask(client);
    await ask(client);
    expect((await health(gw, 'd0')).tokens_last_minute).toBe(1_000);
    const err = await ask(client).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect(fakes[0]!.requests).toHaveLength(2);
  });

  it('picks up limit edits and disabling without a restart', async () => {
    const { gw, fakes, key } = await setup([{}, {}]);
    await gw.admin('PATCH', '/admin/api/deployments/d0', { enabled: false });
    const client = gw.openai(key);
    for (let i = 0; i < 4; i++) await ask(client);
    expect(fakes[0]!.requests).toHaveLength(0);
    await gw.admin('PATCH', '/admin/api/deployments/d0', { enabled: true });
    await gw.admin('PATCH', '/admin/api/deployments/d1', { rpm: 1 });
    // d1 already served 4 calls this minute: over its new limit of 1, so everything goes to d0.
    for (let i = 0; i < 6; i++) await ask(client);
    expect(fakes[1]!.requests.length).toBe(4);
    expect(fakes[0]!.requests.length).toBe(6);
  });

  it('keeps the hourly token window across a restart', async () => {
    const first = await setup([{ fake: { reply: () => ({ usage: { prompt_tokens: 600, completion_tokens: 100 } }) }, deployment: { hourly_tokens: 1_450 } }]);
    await ask(first.gw.openai(first.key));
    await ask(first.gw.openai(first.key));
    const dataDir = first.gw.dataDir;
    await first.gw.gateway.stop();
    const second = await startTestGateway({ dataDir });
    open.push(() => second.close());
    const { key } = await second.createKey();
    expect((await health(second, 'd0')).tokens_last_hour).toBe(1_400);
    const err = await ask(second.openai(key)).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
  });
});

describe('observability', () => {
  it('exposes Prometheus metrics per deployment and model', async () => {
    const { gw, key } = await setup([{ fake: { reply: () => ({ usage: { prompt_tokens: 12, completion_tokens: 3 } }) } }]);
    await ask(gw.openai(key));
    await ask(gw.openai(key));
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/omixa_requests_total\{model="gpt-4o-mini",deployment="d0",status="ok",endpoint="chat.completions"\} 2/);
    expect(text).toMatch(/omixa_tokens_total\{model="gpt-4o-mini",deployment="d0",kind="prompt"\} 24/);
    expect(text).toMatch(/omixa_tokens_total\{model="gpt-4o-mini",deployment="d0",kind="completion"\} 6/);
    expect(text).toMatch(/omixa_request_duration_seconds_count\{model="gpt-4o-mini",deployment="d0"\} 2/);
    const { data } = (await (await fetch(`${gw.url}/v1/usage/requests`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { cost_micros: number }[] };
    const spent = data.reduce((sum, row) => sum + row.cost_micros, 0);
    expect(spent).toBeGreaterThan(0);
    expect(text).toContain(`omixa_cost_micros_total{model="gpt-4o-mini",deployment="d0"} ${spent}`);
    expect(text).toContain('omixa_request_duration_seconds_bucket');
    expect(text).toMatch(/omixa_deployment_in_flight\{model="gpt-4o-mini",deployment="d0"\} 0/);
  });

  it('shows live health: in-flight calls and p50 latency', async () => {
    const { gw, key } = await setup([{ fake: { chunkDelayMs: 40, reply: () => ({ content: 'a b c d e f g h i j' }) } }]);
    const client = gw.openai(key);
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    expect((await health(gw, 'd0')).in_flight).toBe(1);
    while (!(await iterator.next()).done);
    const h = await health(gw, 'd0');
    expect(h.in_flight).toBe(0);
    expect(h.p50_latency_ms).toBeGreaterThanOrEqual(0);
  });
});
