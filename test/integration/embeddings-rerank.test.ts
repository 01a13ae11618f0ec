import { beforeAll, describe, expect, it } from 'vitest';
import { apiError } from '../support/api-errors.js';
import { startAzureFake, type AzureFake } from '../support/fakes/azure-openai.js';
import { startRerankFake, type RerankFake } from '../support/fakes/rerank.js';
import { startAzureGateway, startFundedGateway } from '../support/funded-gateway.js';
import type { TestGateway } from '../support/gateway.js';

// text-embedding-3-small catalog price: input 0.02 USD/MTok = 20,000 micro-USD per MTok.
const EMBEDDING_PER_MTOK = 20_000;
const half = (numerator: number, denominator: number) => Math.floor((numerator + denominator / 2) / denominator);

describe('embeddings through an Azure deployment', () => {
  let fake: AzureFake;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    const setup = await startAzureGateway({
      fake: { deployments: ['text-embedding-3-small'] },
      deployments: [{ name: 'emb-1', model: 'text-embedding-3-small', deployment: 'text-embedding-3-small', modality: 'embedding' }],
    });
    ({ fake, gw, key } = setup);
    return setup.close;
  });

  it('embeds a string as floats and bills the upstream prompt_tokens exactly', async () => {
    fake.setOptions({ reply: () => ({ usage: { prompt_tokens: 123_456, completion_tokens: 0 } }) });
    const before = await gw.wallet();
    const { data: result, response } = await gw
      .openai(key)
      .embeddings.create({ model: 'text-embedding-3-small', input: 'The food was delicious and the waiter was kind.', encoding_format: 'float' })
      .withResponse();
    expect(result.data).toHaveLength(1);
    expect(result.data[0]!.embedding).toHaveLength(1536);
    expect(typeof result.data[0]!.embedding[0]).toBe('number');
    expect(result.usage.prompt_tokens).toBe(123_456);

    const expected = half(123_456 * EMBEDDING_PER_MTOK, 1_000_000);
    expect(expected).toBe(2469);
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(expected);
    expect(after.locked_micros).toBe(0);

    const id = response.headers.get('x-omixa-request-id')!;
    const row = await gw.admin('GET', `/admin/api/usage/requests/${id}`);
    expect(row).toMatchObject({ status: 'ok', endpoint: 'embeddings', model: 'text-embedding-3-small', prompt_tokens: 123_456, cost_micros: 2469, deployment_name: 'emb-1', usage_source: 'upstream' });

    const sent = fake.requests[fake.requests.length - 1]!;
    expect(sent.path).toBe('/openai/deployments/text-embedding-3-small/embeddings');
    expect(sent.query['api-version']).toBe('2024-10-21');
    expect(sent.headers['api-key']).toBe('azure-secret-1');
    expect(sent.body).toMatchObject({ input: 'The food was delicious and the waiter was kind.', encoding_format: 'float' });
  });

  it('embeds an array with base64 encoding (the SDK default) and passes dimensions through', async () => {
    fake.setOptions({ reply: () => ({ usage: { prompt_tokens: 50_000, completion_tokens: 0 } }) });
    const before = await gw.wallet();
    // No encoding_format: the SDK asks for base64 and decodes it back to floats itself.
    const result = await gw.openai(key).embeddings.create({ model: 'text-embedding-3-small', input: ['first text', 'second text', 'third'], dimensions: 256 });
    expect(result.data.map((d) => d.index)).toEqual([0, 1, 2]);
    for (const item of result.data) {
      expect(item.embedding).toHaveLength(256);
      expect(item.embedding.every((v) => Number.isFinite(v) && Math.abs(v) <= 0.5)).toBe(true);
    }
    const sent = fake.requests[fake.requests.length - 1]!.body;
    expect(sent).toMatchObject({ input: ['first text', 'second text', 'third'], dimensions: 256, encoding_format: 'base64' });

    // A raw client asking for base64 gets the upstream's base64 string untouched.
    const raw = await gw.openai(key).post<{ data: { embedding: string }[] }>('/embeddings', {
      body: { model: 'text-embedding-3-small', input: 'raw', encoding_format: 'base64', dimensions: 8 },
    });
    expect(typeof raw.data[0]!.embedding).toBe('string');
    expect(Buffer.from(raw.data[0]!.embedding, 'base64')).toHaveLength(8 * 4);

    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(half(50_000 * EMBEDDING_PER_MTOK, 1e6) * 2);
  });

  it('accepts token-id input and answers on /api/v1 too', async () => {
    fake.setOptions({ reply: undefined });
    const result = await gw.openai(key, { basePath: '/api/v1' }).embeddings.create({ model: 'text-embedding-3-small', input: [[1, 2, 3, 4], [5, 6]], encoding_format: 'float' });
    expect(result.data).toHaveLength(2);
    expect(result.usage.prompt_tokens).toBe(6); // the fake counts token ids one each
  });

  it('fails over past a throttled deployment; speaks Azure v1 and the OpenAI provider (Bearer, {base}/embeddings)', async () => {
    const throttled = await startAzureFake({ deployments: ['text-embedding-3-large'], reply: () => ({ status: 429, retryAfterSeconds: 30 }) });
    const healthy = await startAzureFake({ deployments: ['text-embedding-3-large'], reply: () => ({ usage: { prompt_tokens: 1_000_000, completion_tokens: 0 } }) });
    try {
      await gw.addAzureDeployment(throttled, { name: 'large-a', model: 'text-embedding-3-large', deployment: 'text-embedding-3-large', modality: 'embedding', priority: 0 });
      await gw.addAzureDeployment(healthy, { name: 'large-b', model: 'text-embedding-3-large', deployment: 'text-embedding-3-large', modality: 'embedding', priority: 1, api_version: 'v1' });
      const before = await gw.wallet();
      const { response } = await gw.openai(key).embeddings.create({ model: 'text-embedding-3-large', input: 'failover', encoding_format: 'float' }).withResponse();
      expect(throttled.requests).toHaveLength(1);
      const sent = healthy.requests[0]!;
      expect(sent.path).toBe('/openai/v1/embeddings');
      expect(sent.body.model).toBe('text-embedding-3-large');
      // text-embedding-3-large: 0.13 USD/MTok × 1M tokens, billed once despite two attempts.
      expect(before.balance_micros - (await gw.wallet()).balance_micros).toBe(130_000);
      const row = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
      expect(row).toMatchObject({ attempts: 2, deployment_name: 'large-b' });
      expect((await gw.admin('GET', '/admin/api/deployments/large-a')).health.last_error).toContain('429');

      // The OpenAI provider: the endpoint is the base URL, the secret a Bearer token.
      await gw.admin('POST', '/admin/api/deployments', {
        name: 'openai-emb', provider: 'openai', model: 'text-embedding-ada-002', modality: 'embedding', endpoint: `${healthy.url}/openai/v1`, deployment: 'text-embedding-3-large', api_key: 'azure-secret-1',
      });
      await gw.openai(key).embeddings.create({ model: 'text-embedding-ada-002', input: 'bearer', encoding_format: 'float' });
      const viaOpenAi = healthy.requests[healthy.requests.length - 1]!;
      expect(viaOpenAi.headers.authorization).toBe('Bearer azure-secret-1');
      expect(viaOpenAi.headers['api-key']).toBeUndefined();
      expect(viaOpenAi.body).toMatchObject({ model: 'text-embedding-3-large', input: 'bearer' });

      const models = await gw.openai(key).models.list();
      const listed = models.data.find((m) => m.id === 'text-embedding-3-large') as unknown as Record<string, unknown>;
      expect(listed).toMatchObject({ modality: 'embedding', endpoints: ['/v1/embeddings'], pricing: { input_per_mtok: 0.13 } });
    } finally {
      for (const name of ['large-a', 'large-b', 'openai-emb']) await gw.admin('DELETE', `/admin/api/deployments/${name}`).catch(() => undefined);
      await throttled.close();
      await healthy.close();
    }
  });

  it('refuses bad input and unknown models in the OpenAI error shape, without calling the upstream', async () => {
    const calls = fake.requests.length;
    const client = gw.openai(key);
    const bad = await apiError(client.embeddings.create({ model: 'text-embedding-3-small', input: [] as string[] }));
    expect(bad.status).toBe(400);
    expect(bad.error).toMatchObject({ code: 'invalid_request', param: 'input' });
    const unknown = await apiError(client.embeddings.create({ model: 'no-such-embedder', input: 'x' }));
    expect(unknown.status).toBe(404);
    expect(unknown.error).toMatchObject({ code: 'model_not_found' });
    // A chat model is not an embedding model.
    const wrong = await apiError(client.embeddings.create({ model: 'gpt-4o-mini', input: 'x' }));
    expect(wrong.status).toBe(404);
    expect(fake.requests.length).toBe(calls);
  });

  it('captures nothing when the upstream fails, and 402s an empty wallet before calling', async () => {
    fake.setOptions({ reply: () => ({ status: 500 }) });
    const before = await gw.wallet();
    const failed = await apiError(gw.openai(key).embeddings.create({ model: 'text-embedding-3-small', input: 'boom', encoding_format: 'float' }));
    expect(failed.status).toBe(502);
    const after = await gw.wallet();
    expect(after.balance_micros).toBe(before.balance_micros);
    expect(after.locked_micros).toBe(0);

    fake.setOptions({ reply: undefined });
    await gw.admin('POST', '/admin/api/accounts', { name: 'empty-emb' });
    const poor = await gw.createKey({ account: 'empty-emb' });
    const calls = fake.requests.length;
    const refused = await apiError(gw.openai(poor.key).embeddings.create({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' }));
    expect(refused.status).toBe(402);
    expect(refused.error).toMatchObject({ code: 'insufficient_balance' });
    expect(fake.requests.length).toBe(calls);
    const doctor = await gw.admin('GET', '/admin/api/doctor');
    expect(doctor.ledger_ok).toBe(true);
  });

  it('serves a model outside the catalog added with modality embedding, unpriced; a catalog model keeps its modality', async () => {
    fake.setOptions({ reply: undefined });
    const added = await gw.admin('POST', '/admin/api/deployments', { name: 'emb-custom', model: 'my-embedder', modality: 'embedding', endpoint: fake.url, deployment: 'text-embedding-3-small', api_key: 'azure-secret-1' });
    expect(added).toMatchObject({ name: 'emb-custom', model: 'my-embedder', added_unpriced_model: true });
    const model = (await gw.admin('GET', '/admin/api/models')).data.find((m: { id: string }) => m.id === 'my-embedder');
    expect(model).toMatchObject({ modality: 'embedding', endpoints: expect.arrayContaining(['/v1/embeddings']) });

    const before = await gw.wallet();
    const result = await gw.openai(key).embeddings.create({ model: 'my-embedder', input: 'hello', encoding_format: 'float' });
    expect(result.data[0]!.embedding.length).toBeGreaterThan(0);
    expect((await gw.wallet()).balance_micros).toBe(before.balance_micros); // unpriced: cost 0

    const refused = await gw.admin('POST', '/admin/api/deployments', { name: 'emb-as-chat', model: 'text-embedding-3-small', modality: 'chat', endpoint: fake.url, deployment: 'text-embedding-3-small', api_key: 'azure-secret-1' }).catch((err: { status: number; body: unknown }) => err);
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', param: 'modality', message: expect.stringContaining('the catalog lists "text-embedding-3-small" as embedding, not chat') } } });
  });

  it('lets a custom model added with the wrong modality take the right one once no deployment serves it', async () => {
    fake.setOptions({ reply: undefined });
    const deployment = { model: 'my-misfiled', endpoint: fake.url, deployment: 'text-embedding-3-small', api_key: 'azure-secret-1' };
    await gw.admin('POST', '/admin/api/deployments', { name: 'misfiled-chat', ...deployment }); // no modality: chat
    expect(await gw.openai(key).embeddings.create({ model: 'my-misfiled', input: 'x' }).catch((e: { status: number }) => e.status)).toBe(404);

    // While a deployment serves it as chat, another modality is refused, naming that deployment.
    const refused = await gw.admin('POST', '/admin/api/deployments', { name: 'misfiled-emb', modality: 'embedding', ...deployment }).catch((err: { status: number; body: unknown }) => err);
    expect(refused).toMatchObject({ status: 400, body: { error: { param: 'modality', message: expect.stringContaining('served as chat by misfiled-chat') } } });

    await gw.admin('DELETE', '/admin/api/deployments/misfiled-chat');
    await gw.admin('POST', '/admin/api/deployments', { name: 'misfiled-emb', modality: 'embedding', ...deployment });
    const model = (await gw.admin('GET', '/admin/api/models')).data.find((m: { id: string }) => m.id === 'my-misfiled');
    expect(model).toMatchObject({ modality: 'embedding', endpoints: ['/v1/embeddings'] });
    const result = await gw.openai(key).embeddings.create({ model: 'my-misfiled', input: 'hello', encoding_format: 'float' });
    expect(result.data[0]!.embedding.length).toBeGreaterThan(0);
  });
});

describe('rerank through an OpenAI-compatible deployment', () => {
  let fake: RerankFake;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    const setup = await startFundedGateway(startRerankFake, (gw, fake) =>
      gw.admin('POST', '/admin/api/deployments', {
        name: 'rr-1', provider: 'openai-compatible', model: 'rerank-v3.5', modality: 'rerank', endpoint: fake.url, deployment: 'rerank-v3.5', api_key: 'rerank-secret',
      }),
    );
    ({ fake, gw, key } = setup);
    return setup.close;
  });

  const documents = ['Paris is the capital of France.', 'The capital of Germany is Berlin.', 'Bananas are yellow.', 'France has many cheeses.'];

  it('ranks documents, honours top_n and bills one search at per_1k_searches', async () => {
    // 2 USD per 1k searches = 2,000 micro-USD per search.
    await gw.admin('PATCH', '/admin/api/models/rerank-v3.5/price', { per_1k_searches: '2' });
    const before = await gw.wallet();
    const { data: result, response } = await gw
      .openai(key)
      .post<{ results: { index: number; relevance_score: number }[]; model: string }>('/rerank', { body: { model: 'rerank-v3.5', query: 'capital of France', documents, top_n: 2 } })
      .withResponse();
    expect(result.model).toBe('rerank-v3.5');
    expect(result.results).toHaveLength(2);
    expect(result.results[0]!.index).toBe(0);
    expect(result.results[0]!.relevance_score).toBeGreaterThanOrEqual(result.results[1]!.relevance_score);
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(2000);
    expect(after.locked_micros).toBe(0);

    const sent = fake.requests[fake.requests.length - 1]!;
    expect(sent.path).toBe('/v1/rerank');
    expect(sent.headers.authorization).toBe('Bearer rerank-secret');
    expect(sent.body).toEqual({ model: 'rerank-v3.5', query: 'capital of France', documents, top_n: 2 });
    const row = await gw.admin('GET', `/admin/api/usage/requests/${response.headers.get('x-omixa-request-id')}`);
    expect(row).toMatchObject({ endpoint: 'rerank', status: 'ok', cost_micros: 2000 });
  });

  it('adds the tokens at the input price when the model is priced per token too', async () => {
    await gw.admin('PATCH', '/admin/api/models/rerank-v3.5/price', { per_1k_searches: '2', input_per_mtok: '0.05' });
    fake.setOptions({ totalTokens: 123_457 });
    const before = await gw.wallet();
    const result = await gw.openai(key).post<{ results: unknown[]; usage: { total_tokens: number } }>('/rerank', {
      body: { model: 'rerank-v3.5', query: 'yellow fruit', documents: documents.map((text) => ({ text })) },
    });
    expect(result.results).toHaveLength(4);
    expect(result.usage.total_tokens).toBe(123_457);
    // One search (2,000) + 123,457 tokens × 50,000 micro-USD/MTok (6,172.85), rounded once: 8,172.85 → 8,173.
    const after = await gw.wallet();
    expect(before.balance_micros - after.balance_micros).toBe(half(2000 * 1e6 + 123_457 * 50_000, 1e6));
    expect(before.balance_micros - after.balance_micros).toBe(8173);
  });

  it('validates the body and fails over to nothing on an upstream error', async () => {
    const client = gw.openai(key);
    const bad = await apiError(client.post('/rerank', { body: { model: 'rerank-v3.5', query: 'q', documents: [] } }));
    expect(bad.status).toBe(400);
    expect(bad.error).toMatchObject({ param: 'documents' });
    fake.setOptions({ status: 503 });
    const before = await gw.wallet();
    const failed = await apiError(client.post('/rerank', { body: { model: 'rerank-v3.5', query: 'q', documents: ['a'] } }));
    expect(failed.status).toBe(502);
    expect((await gw.wallet()).balance_micros).toBe(before.balance_micros);
    fake.setOptions({ status: undefined });
  });
});
