import type { Db } from './connection.js';
import { usdToMicros, type ModelPrice } from '../domain/pricing.js';

export type Modality = 'chat' | 'embedding' | 'image' | 'audio' | 'video' | 'music' | 'rerank';
export const MODALITIES: readonly Modality[] = ['chat', 'embedding', 'image', 'audio', 'video', 'music', 'rerank'];

export interface CatalogEntry {
  id: string;
  modality: Modality;
  provider: string;
  family?: string;
  input_per_mtok?: string;
  cached_input_per_mtok?: string;
  cache_write_per_mtok?: string;
  output_per_mtok?: string;
  per_image?: string;
  per_second?: string;
  per_1k_chars?: string;
  per_1k_searches?: string;
  max_output_tokens?: number;
  context_window?: number;
  /**
   * The endpoints this model serves, when that is fewer than its modality's (`ENDPOINTS_BY_MODALITY`): `tts-1` speaks
   * but does not transcribe, `dall-e-3` generates but does not edit. Absent: every endpoint of the modality.
   */
  endpoints?: string[];
}

export interface ModelRecord {
  id: string;
  modality: Modality;
  provider: string;
  family: string | null;
  price: ModelPrice & { per1kSearchesMicros: number | null };
  maxOutputTokens: number | null;
  contextWindow: number | null;
  endpoints: string[];
  priced: boolean;
  source: 'catalog' | 'custom';
}

interface ModelRow {
  id: string;
  modality: Modality;
  provider: string;
  family: string | null;
  input_per_mtok_micros: number | null;
  cached_input_per_mtok_micros: number | null;
  cache_write_per_mtok_micros: number | null;
  output_per_mtok_micros: number | null;
  per_image_micros: number | null;
  per_second_micros: number | null;
  per_1k_chars_micros: number | null;
  per_1k_searches_micros: number | null;
  max_output_tokens: number | null;
  context_window: number | null;
  endpoints: string;
  priced: number;
  source: 'catalog' | 'custom';
}

/** Which endpoints serve a modality (the `endpoints` field of `/models`). */
export const ENDPOINTS_BY_MODALITY: Record<Modality, string[]> = {
  chat: ['/v1/chat/completions', '/v1/responses', '/v1/messages', '/v1beta/models/{model}:generateContent'],
  embedding: ['/v1/embeddings'],
  image: ['/v1/images/generations', '/v1/images/edits'],
  audio: ['/v1/audio/speech', '/v1/audio/transcriptions'],
  video: ['/v1/videos/generations'],
  music: ['/v1/music/generations'],
  rerank: ['/v1/rerank'],
};

/**
 * The endpoints a catalog entry serves: its own list, else its modality's. Throws on an endpoint outside the modality's
 * list (the gateway routes by modality, so such an entry would promise an endpoint no pipeline serves for it).
 */
export function catalogEndpoints(entry: Pick<CatalogEntry, 'id' | 'modality' | 'endpoints'>): string[] {
  const offered = ENDPOINTS_BY_MODALITY[entry.modality];
  if (!entry.endpoints) return offered;
  const unknown = entry.endpoints.filter((e) => !offered.includes(e));
  if (unknown.length > 0 || entry.endpoints.length === 0) {
    throw new Error(`catalog model ${entry.id}: endpoints must be a non-empty subset of the ${entry.modality} endpoints (${offered.join(', ')}); got ${entry.endpoints.join(', ') || 'none'}`);
  }
  // In the modality's order, so every model lists its endpoints alike.
  return offered.filter((e) => entry.endpoints!.includes(e));
}

const toRecord = (row: ModelRow): ModelRecord => ({
  id: row.id,
  modality: row.modality,
  provider: row.provider,
  family: row.family,
  price: {
    inputPerMtokMicros: row.input_per_mtok_micros,
    cachedInputPerMtokMicros: row.cached_input_per_mtok_micros,
    cacheWritePerMtokMicros: row.cache_write_per_mtok_micros,
    outputPerMtokMicros: row.output_per_mtok_micros,
    perImageMicros: row.per_image_micros,
    perSecondMicros: row.per_second_micros,
    per1kCharsMicros: row.per_1k_chars_micros,
    per1kSearchesMicros: row.per_1k_searches_micros,
  },
  maxOutputTokens: row.max_output_tokens,
  contextWindow: row.context_window,
  endpoints: JSON.parse(row.endpoints) as string[],
  priced: row.priced === 1,
  source: row.source,
});

const micros = (usd: string | undefined): number | null => (usd === undefined ? null : usdToMicros(usd));

/** Prices in micro-USD (per MTok for tokens) the admin may set; `null` clears one. */
export interface PricePatch {
  inputPerMtokMicros?: number | null;
  cachedInputPerMtokMicros?: number | null;
  cacheWritePerMtokMicros?: number | null;
  outputPerMtokMicros?: number | null;
  perImageMicros?: number | null;
  perSecondMicros?: number | null;
  per1kCharsMicros?: number | null;
  per1kSearchesMicros?: number | null;
}

const PATCH_COLUMNS: Record<keyof PricePatch, string> = {
  inputPerMtokMicros: 'input_per_mtok_micros',
  cachedInputPerMtokMicros: 'cached_input_per_mtok_micros',
  cacheWritePerMtokMicros: 'cache_write_per_mtok_micros',
  outputPerMtokMicros: 'output_per_mtok_micros',
  perImageMicros: 'per_image_micros',
  perSecondMicros: 'per_second_micros',
  per1kCharsMicros: 'per_1k_chars_micros',
  per1kSearchesMicros: 'per_1k_searches_micros',
};

export type CatalogRepository = ReturnType<typeof createCatalogRepository>;

export function createCatalogRepository(db: Db) {
  const upsertCatalog = db.prepare(
    `INSERT INTO models (id, modality, provider, family, input_per_mtok_micros, cached_input_per_mtok_micros, cache_write_per_mtok_micros,
       output_per_mtok_micros, per_image_micros, per_second_micros, per_1k_chars_micros, per_1k_searches_micros, max_output_tokens,
       context_window, endpoints, priced, source, updated_at)
     VALUES (@id, @modality, @provider, @family, @input, @cached, @cacheWrite, @output, @perImage, @perSecond, @per1kChars, @per1kSearches,
       @maxOutput, @context, @endpoints, 1, 'catalog', @now)
     ON CONFLICT (id) DO UPDATE SET modality = excluded.modality, family = excluded.family, max_output_tokens = excluded.max_output_tokens,
       context_window = excluded.context_window, endpoints = excluded.endpoints, updated_at = excluded.updated_at,
       input_per_mtok_micros = CASE WHEN models.price_edited_at IS NULL THEN excluded.input_per_mtok_micros ELSE models.input_per_mtok_micros END,
       cached_input_per_mtok_micros = CASE WHEN models.price_edited_at IS NULL THEN excluded.cached_input_per_mtok_micros ELSE models.cached_input_per_mtok_micros END,
       cache_write_per_mtok_micros = CASE WHEN models.price_edited_at IS NULL THEN excluded.cache_write_per_mtok_micros ELSE models.cache_write_per_mtok_micros END,
       output_per_mtok_micros = CASE WHEN models.price_edited_at IS NULL THEN excluded.output_per_mtok_micros ELSE models.output_per_mtok_micros END,
       per_image_micros = CASE WHEN models.price_edited_at IS NULL THEN excluded.per_image_micros ELSE models.per_image_micros END,
       per_second_micros = CASE WHEN models.price_edited_at IS NULL THEN excluded.per_second_micros ELSE models.per_second_micros END,
       per_1k_chars_micros = CASE WHEN models.price_edited_at IS NULL THEN excluded.per_1k_chars_micros ELSE models.per_1k_chars_micros END,
       per_1k_searches_micros = CASE WHEN models.price_edited_at IS NULL THEN excluded.per_1k_searches_micros ELSE models.per_1k_searches_micros END,
       priced = CASE WHEN models.price_edited_at IS NULL THEN 1 ELSE models.priced END`,
  );
  const insertCustom = db.prepare(
    `INSERT INTO models (id, modality, provider, endpoints, priced, source, updated_at) VALUES (?, ?, ?, ?, 0, 'custom', ?) ON CONFLICT (id) DO NOTHING`,
  );
  const setCustomModality = db.prepare(`UPDATE models SET modality = ?, endpoints = ?, updated_at = ? WHERE id = ? AND source = 'custom'`);
  const byId = db.prepare<[string], ModelRow>('SELECT * FROM models WHERE id = ?');
  const all = db.prepare<[], ModelRow>('SELECT * FROM models ORDER BY modality, id');

  return {
    /** Loads the shipped catalog (endpoints included, so a corrected list reaches existing data); prices the admin edited are kept. */
    seed: db.transaction((entries: readonly CatalogEntry[]) => {
      const now = Date.now();
      for (const e of entries) {
        upsertCatalog.run({
          id: e.id,
          modality: e.modality,
          provider: e.provider,
          family: e.family ?? null,
          input: micros(e.input_per_mtok),
          cached: micros(e.cached_input_per_mtok),
          cacheWrite: micros(e.cache_write_per_mtok),
          output: micros(e.output_per_mtok),
          perImage: micros(e.per_image),
          perSecond: micros(e.per_second),
          per1kChars: micros(e.per_1k_chars),
          per1kSearches: micros(e.per_1k_searches),
          maxOutput: e.max_output_tokens ?? null,
          context: e.context_window ?? null,
          endpoints: JSON.stringify(catalogEndpoints(e)),
          now,
        });
      }
    }),
    list: (): ModelRecord[] => all.all().map(toRecord),
    get(id: string): ModelRecord | undefined {
      const row = byId.get(id);
      return row ? toRecord(row) : undefined;
    },
    /** Adds a model the catalog does not know, unpriced (cost 0). Returns true when it was added. */
    ensureCustom(id: string, modality: Modality, provider: string): boolean {
      return insertCustom.run(id, modality, provider, JSON.stringify(ENDPOINTS_BY_MODALITY[modality]), Date.now()).changes === 1;
    },
    /** Gives a custom model another modality (and that modality's endpoints); catalog models are left alone. */
    setCustomModality(id: string, modality: Modality): void {
      setCustomModality.run(modality, JSON.stringify(ENDPOINTS_BY_MODALITY[modality]), Date.now(), id);
    },
    setPrice(id: string, patch: PricePatch): ModelRecord | undefined {
      const sets = Object.entries(patch)
        .filter(([key, value]) => key in PATCH_COLUMNS && value !== undefined)
        .map(([key]) => `${PATCH_COLUMNS[key as keyof PricePatch]} = @${key}`);
      if (!byId.get(id)) return undefined;
      if (sets.length > 0) {
        db.prepare(`UPDATE models SET ${sets.join(', ')}, priced = 1, price_edited_at = @now, updated_at = @now WHERE id = @id`).run({ ...patch, id, now: Date.now() });
      }
      return toRecord(byId.get(id)!);
    },
  };
}
