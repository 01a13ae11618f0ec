/**
 * `/v1/models`, `/v1/models/{id}` and `/v1/usage/rollups` as clients read them (API.md §4, §6, §7), against the real
 * gateway and a real loopback Azure fake, through the official `openai` SDK.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { sdkError } from '../support/api-errors.js';
import { startAzureFake, type AzureFake } from '../support/fakes/azure-openai.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** The `/models` item fields the gateway adds to OpenAI's. */
interface ModelItem {
  id: string;
  object: string;
  modality: string;
  provider: unknown;
  providers: string[];
  endpoints: string[];
  pricing: Record<string, number>;
}

let fake: AzureFake;
let gw: TestGateway;
let key: string;

const deploy = (name: string, model: string, input: Record<string, unknown> = {}) =>
  gw.admin('POST', '/admin/api/deployments', { name, model, endpoint: fake.url, deployment: model, api_key: 'azure-secret-1', ...input });

async function listed(client: OpenAI): Promise<Record<string, ModelItem>> {
  const page = await client.models.list();
  return Object.fromEntries(page.data.map((m) => [m.id, m as unknown as ModelItem]));
}

beforeAll(async () => {
  fake = await startAzureFake();
  gw = await startTestGateway();
  // gpt-4o-mini on three providers: OpenAI is the best priority, so the router tries it first.
  await deploy('mini-azure', 'gpt-4o-mini', { priority: 1 });
  await deploy('mini-openai', 'gpt-4o-mini', { provider: 'openai', endpoint: `${fake.url}/openai/v1`, priority: 0 });
  await deploy('mini-compatible', 'gpt-4o-mini', { provider: 'openai-compatible', endpoint: `${fake.url}/openai/v1`, priority: 2 });
  // gpt-4.1: two deployments of one priority; the heavier one is the likelier first pick.
  await deploy('g41-azure', 'gpt-4.1', { priority: 0, weight: 1 });
  await deploy('g41-openai', 'gpt-4.1', { provider: 'openai', endpoint: `${fake.url}/openai/v1`, priority: 0, weight: 5 });
  // A disabled deployment neither names the provider nor joins the list.
  await deploy('g41-off', 'gpt-4.1', { provider: 'openai-compatible', endpoint: `${fake.url}/openai/v1`, priority: 0, weight: 50, enabled: false });
  for (const model of ['tts-1', 'tts-1-hd', 'whisper', 'gpt-4o-transcribe', 'dall-e-3', 'gpt-image-1']) await deploy(`d-${model}`, model);
  await gw.topUp(10_000_000);
  ({ key } = await gw.createKey({ name: 'everything' }));
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

describe('GET /models: provider', () => {
  it('regression: names one provider, the one the router tries first, and lists them all in `providers`', async () => {
    const models = await listed(gw.openai(key));
    expect(models['gpt-4o-mini']).toMatchObject({ provider: 'openai', providers: ['openai', 'azure', 'openai-compatible'] });
    expect(models['gpt-4.1']).toMatchObject({ provider: 'openai', providers: ['openai', 'azure'] });
    expect(models['tts-1']).toMatchObject({ provider: 'azure', providers: ['azure'] });
    for (const m of Object.values(models)) {
      expect(typeof m.provider, m.id).toBe('string');
      expect(m.providers[0], m.id).toBe(m.provider);
    }
  });

  it('follows a priority change without a restart', async () => {
    await gw.admin('PATCH', '/admin/api/deployments/mini-azure', { priority: 0, weight: 9 });
    try {
      await expect.poll(async () => (await listed(gw.openai(key)))['gpt-4o-mini']!.provider, { timeout: 3_000 }).toBe('azure');
    } finally {
      await gw.admin('PATCH', '/admin/api/deployments/mini-azure', { priority: 1, weight: 1 });
    }
  });

  it("gives the admin catalog one provider too: the catalog's for a model nothing serves", async () => {
    const catalog = (await gw.admin('GET', '/admin/api/models')).data as ModelItem[];
    const byId = Object.fromEntries(catalog.map((m) => [m.id, m]));
    expect(byId['claude-haiku-4-5']).toMatchObject({ provider: 'anthropic', providers: ['anthropic'] });
    expect(byId['gpt-4.1']).toMatchObject({ provider: 'openai', providers: ['openai', 'azure'] });
  });
});

describe('GET /models: endpoints', () => {
  it('regression: lists only the endpoints each model serves, not every endpoint of its modality', async () => {
    const models = await listed(gw.openai(key));
    expect(models['tts-1']!.endpoints).toEqual(['/v1/audio/speech']);
    expect(models['tts-1-hd']!.endpoints).toEqual(['/v1/audio/speech']);
    expect(models.whisper!.endpoints).toEqual(['/v1/audio/transcriptions']);
    expect(models['gpt-4o-transcribe']!.endpoints).toEqual(['/v1/audio/transcriptions']);
    expect(models['dall-e-3']!.endpoints).toEqual(['/v1/images/generations']);
    expect(models['gpt-image-1']!.endpoints).toEqual(['/v1/images/generations', '/v1/images/edits']);
    expect(models['gpt-4o-mini']!.endpoints).toEqual(['/v1/chat/completions', '/v1/responses', '/v1/messages', '/v1beta/models/{model}:generateContent']);
  });

  it('answers the same item from /models/{id}', async () => {
    const one = (await gw.openai(key).models.retrieve('whisper')) as unknown as ModelItem;
    const all = await listed(gw.openai(key));
    expect(one).toEqual(all.whisper);
  });
});

describe('GET /models/{id} for a key limited to some models', () => {
  it('regression: answers 404 model_not_found for a served model outside the key, as the list leaves it out', async () => {
    const limited = await gw.createKey({ name: 'speech-only', models: ['tts-1'] });
    const client = gw.openai(limited.key);
    expect(Object.keys(await listed(client))).toEqual(['tts-1']);
    expect(await client.models.retrieve('tts-1')).toMatchObject({ id: 'tts-1', provider: 'azure' });

    const hidden = await sdkError(client.models.retrieve('gpt-4o-mini'));
    expect(hidden).toBeInstanceOf(OpenAI.NotFoundError);
    expect(hidden).toMatchObject({ status: 404, code: 'model_not_found', type: 'invalid_request_error', param: 'model' });
    expect(hidden.headers!.get('x-omixa-request-id')).toMatch(/^req_/);
    // Worded exactly like a model nobody serves: the answer does not tell the key the model exists.
    const unknown = await sdkError(client.models.retrieve('gpt-nope'));
    expect((hidden.error as { message: string }).message.replace('gpt-4o-mini', 'X')).toBe((unknown.error as { message: string }).message.replace('gpt-nope', 'X'));

    // The same key on /api/v1, and an unrestricted key still sees the model.
    expect(await sdkError(gw.openai(limited.key, { basePath: '/api/v1' }).models.retrieve('gpt-4o-mini'))).toMatchObject({ status: 404, code: 'model_not_found' });
    expect(await gw.openai(key).models.retrieve('gpt-4o-mini')).toMatchObject({ id: 'gpt-4o-mini', provider: 'openai' });
  });
});

describe('GET /usage/rollups', () => {
  it('regression: has the listing shape of every listing, served whole (has_more false, next_cursor null)', async () => {
    await gw.openai(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'count me' }], max_tokens: 20 });
    for (const basePath of ['/v1', '/api/v1'] as const) {
      const rollups = await gw.openai(key, { basePath }).get<{ object: string; data: { model: string; requests: number }[]; has_more: boolean; next_cursor: string | null }>('/usage/rollups', {
        query: { granularity: 'hour', group_by: 'model' },
      });
      expect(rollups).toMatchObject({ object: 'list', has_more: false, next_cursor: null });
      expect(rollups.data.find((r) => r.model === 'gpt-4o-mini')!.requests).toBeGreaterThanOrEqual(1);
    }
    const empty = await gw.openai(key).get('/usage/rollups', { query: { granularity: 'day', from: '2001-01-01T00:00:00Z', to: '2001-01-02T00:00:00Z' } });
    expect(empty).toEqual({ object: 'list', data: [], has_more: false, next_cursor: null });
    // The admin's rollups across accounts have the same shape.
    const admin = await gw.admin('GET', '/admin/api/usage/rollups?granularity=hour&group_by=model');
    expect(admin).toMatchObject({ object: 'list', has_more: false, next_cursor: null });
    expect(admin.data.find((r: { model: string }) => r.model === 'gpt-4o-mini').requests).toBeGreaterThanOrEqual(1);
  });
});
