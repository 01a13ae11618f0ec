import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, type Db } from '../../../src-gateway/db/connection.js';
import { MIGRATIONS } from '../../../src-gateway/db/migrations.js';
import { catalogEndpoints, createCatalogRepository, ENDPOINTS_BY_MODALITY, type CatalogEntry } from '../../../src-gateway/db/catalog-repository.js';
import catalog from '../../../resources/catalog.json' with { type: 'json' };

const shipped = catalog.models as CatalogEntry[];

function freshDb(): Db {
  const db = new Database(':memory:');
  migrate(db, MIGRATIONS);
  return db;
}

describe('catalog endpoints per model', () => {
  it("falls back to the modality's endpoints when an entry lists none", () => {
    expect(catalogEndpoints({ id: 'gpt-image-1', modality: 'image' })).toEqual(['/v1/images/generations', '/v1/images/edits']);
  });

  it("keeps an entry's own list, in the modality's order", () => {
    expect(catalogEndpoints({ id: 'm', modality: 'image', endpoints: ['/v1/images/edits', '/v1/images/generations'] })).toEqual(['/v1/images/generations', '/v1/images/edits']);
    expect(catalogEndpoints({ id: 'tts', modality: 'audio', endpoints: ['/v1/audio/speech'] })).toEqual(['/v1/audio/speech']);
  });

  it('refuses an endpoint outside the modality, or an empty list', () => {
    expect(() => catalogEndpoints({ id: 'tts', modality: 'audio', endpoints: ['/v1/images/edits'] })).toThrow(/tts.*audio/);
    expect(() => catalogEndpoints({ id: 'tts', modality: 'audio', endpoints: [] })).toThrow(/non-empty/);
  });

  it('regression: the shipped speech, transcription and dall-e-3 models list only what they serve', () => {
    const endpoints = Object.fromEntries(shipped.map((e) => [e.id, catalogEndpoints(e)]));
    expect(endpoints['tts-1']).toEqual(['/v1/audio/speech']);
    expect(endpoints['tts-1-hd']).toEqual(['/v1/audio/speech']);
    expect(endpoints.whisper).toEqual(['/v1/audio/transcriptions']);
    expect(endpoints['gpt-4o-transcribe']).toEqual(['/v1/audio/transcriptions']);
    expect(endpoints['dall-e-3']).toEqual(['/v1/images/generations']);
    expect(endpoints['gpt-image-1']).toEqual(['/v1/images/generations', '/v1/images/edits']);
    expect(endpoints['gpt-4o-mini']).toEqual(ENDPOINTS_BY_MODALITY.chat);
  });

  it('every shipped entry resolves (no endpoint outside its modality)', () => {
    for (const entry of shipped) expect(() => catalogEndpoints(entry), entry.id).not.toThrow();
  });
});

describe('catalog repository', () => {
  it("stores each model's endpoints, and corrects a modality-wide list already stored, keeping edited prices", () => {
    const db = freshDb();
    const repo = createCatalogRepository(db);
    repo.seed(shipped);
    expect(repo.get('tts-1')!.endpoints).toEqual(['/v1/audio/speech']);
    expect(repo.get('whisper')!.endpoints).toEqual(['/v1/audio/transcriptions']);

    // Data written before models had their own list: every audio model claimed both audio endpoints.
    db.prepare('UPDATE models SET endpoints = ? WHERE id = ?').run(JSON.stringify(ENDPOINTS_BY_MODALITY.audio), 'tts-1');
    repo.setPrice('tts-1', { per1kCharsMicros: 20_000 });
    repo.seed(shipped);
    expect(repo.get('tts-1')).toMatchObject({ endpoints: ['/v1/audio/speech'], price: { per1kCharsMicros: 20_000 } });
  });

  it("gives a model the catalog does not know its modality's endpoints", () => {
    const repo = createCatalogRepository(freshDb());
    expect(repo.ensureCustom('my-voice', 'audio', 'openai-compatible')).toBe(true);
    expect(repo.get('my-voice')!.endpoints).toEqual(ENDPOINTS_BY_MODALITY.audio);
  });
});
