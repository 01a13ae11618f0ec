import { describe, expect, it } from 'vitest';
import { PROVIDER_MAP } from '../../../src-gateway/providers/index.js';
import { MEDIA_BUILDERS, type MediaEndpoint } from '../../../src-gateway/pipeline/billed-call.js';
import type { Deployment } from '../../../src-gateway/db/deployments-repository.js';
import type { Provider } from '../../../src-gateway/providers/types.js';

const deployment = (over: Partial<Deployment>): Deployment => ({
  id: 'dep_1', name: 'd', provider: 'azure', model: 'm', endpoint: 'https://res.openai.azure.com/', deployment: 'my deploy', apiVersion: '2024-10-21',
  region: null, rpm: 0, tpm: 0, hourlyTokens: 0, weight: 1, priority: 0, fastMode: false, enabled: true, secretRef: 'ref', secretHint: null, options: {}, createdAt: 0, updatedAt: 0,
  ...over,
});

const providers = Object.entries(PROVIDER_MAP) as [string, Provider][];
const mediaEndpoints = Object.keys(MEDIA_BUILDERS) as MediaEndpoint[];

describe('provider contract: non-chat endpoints', () => {
  it.each(providers)('%s declares exactly the media endpoints it builds', (_id, provider) => {
    expect(new Set(provider.endpoints).size).toBe(provider.endpoints.length);
    for (const endpoint of mediaEndpoints) {
      expect(provider.endpoints.includes(endpoint), `${provider.id} ${endpoint}`).toBe(typeof provider[MEDIA_BUILDERS[endpoint]] === 'function');
    }
  });

  it('builds Azure calls on the deployment path with api-version, or on /openai/v1 with the deployment as model', () => {
    const azure = PROVIDER_MAP.azure!;
    const dated = azure.embeddings!({ deployment: deployment({}), secret: 's3cret', body: { input: 'x', model: 'public-id' } });
    expect(dated.url).toBe('https://res.openai.azure.com/openai/deployments/my%20deploy/embeddings?api-version=2024-10-21');
    expect(dated.headers).toMatchObject({ 'api-key': 's3cret', 'content-type': 'application/json' });
    expect(JSON.parse(dated.body as string)).toEqual({ input: 'x', model: 'my deploy' });
    const v1 = azure.audioSpeech!({ deployment: deployment({ apiVersion: 'v1' }), secret: 's', body: { input: 'x' } });
    expect(v1.url).toBe('https://res.openai.azure.com/openai/v1/audio/speech');
    const upload = azure.audioTranscriptions!({ deployment: deployment({}), secret: 's', fields: { language: 'en' }, files: [{ field: 'file', filename: 'a.wav', contentType: 'audio/wav', data: Buffer.from('RIFF') }] });
    expect(upload.url).toContain('/openai/deployments/my%20deploy/audio/transcriptions?api-version=');
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(Buffer.from(upload.body as Uint8Array).toString()).toContain('name="model"\r\n\r\nmy deploy\r\n');
  });

  it('builds OpenAI-compatible calls under the base URL with a Bearer token (none when the key is "none")', () => {
    const compatible = PROVIDER_MAP['openai-compatible']!;
    const base = deployment({ provider: 'openai-compatible', endpoint: 'http://localhost:8000/v1/', deployment: 'bge-reranker', apiVersion: null });
    const call = compatible.rerank!({ deployment: base, secret: 'tok', body: { query: 'q', documents: ['a'] } });
    expect(call.url).toBe('http://localhost:8000/v1/rerank');
    expect(call.headers.authorization).toBe('Bearer tok');
    expect(compatible.imageGenerations!({ deployment: base, secret: 'none', body: {} }).headers.authorization).toBeUndefined();
    expect(PROVIDER_MAP.openai!.rerank).toBeUndefined();
  });
});
