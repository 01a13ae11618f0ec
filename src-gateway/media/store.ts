import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';

/** A file id: `file_` + 22 base62 characters (≈131 random bits). Knowing it is the permission to download it. */
export const MEDIA_ID = /^file_[0-9A-Za-z]{22}$/;

/** One stored file's metadata. */
export interface MediaFile {
  id: string;
  accountId: string;
  requestId: string | null;
  contentType: string;
  sizeBytes: number;
  createdAt: number;
}

/** A `media_files` row. */
export interface MediaRow {
  id: string;
  account_id: string;
  request_id: string | null;
  content_type: string;
  size_bytes: number;
  created_at: number;
}

export type MediaStore = ReturnType<typeof createMediaStore>;

/**
 * The media store: bytes the gateway produced (generated images, …) under `DATA_DIR/media/{id}`, metadata in the
 * `media_files` table. A file is written under a temporary name and renamed into place before its row exists, so a
 * listed id always has its complete bytes.
 */
export function createMediaStore(db: Db, dataDir: string) {
  const dir = path.join(dataDir, 'media');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const insert = db.prepare(
    'INSERT INTO media_files (id, account_id, request_id, content_type, size_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const byId = db.prepare<[string], MediaRow>('SELECT id, account_id, request_id, content_type, size_bytes, created_at FROM media_files WHERE id = ?');

  const filePath = (id: string): string => {
    // The id reaches here from a URL: only the strict shape may become a path (no separators, no dots).
    if (!MEDIA_ID.test(id)) throw new RangeError('not a media file id');
    return path.join(dir, id);
  };

  return {
    dir,
    filePath,

    /** Stores `data` and records it; returns the new file's metadata. */
    async save(input: { data: Uint8Array; contentType: string; accountId: string; requestId: string | null }): Promise<MediaFile> {
      const id = newId('file');
      const final = filePath(id);
      const temp = `${final}.part`;
      await fs.promises.writeFile(temp, input.data, { mode: 0o600 });
      await fs.promises.rename(temp, final);
      const file: MediaFile = { id, accountId: input.accountId, requestId: input.requestId, contentType: input.contentType, sizeBytes: input.data.byteLength, createdAt: Date.now() };
      try {
        insert.run(file.id, file.accountId, file.requestId, file.contentType, file.sizeBytes, file.createdAt);
      } catch (err) {
        await fs.promises.rm(final, { force: true });
        throw err;
      }
      return file;
    },

    /** The metadata of `id`, or undefined for an unknown or malformed id. */
    get(id: string): MediaFile | undefined {
      if (!MEDIA_ID.test(id)) return undefined;
      const row = byId.get(id);
      if (!row) return undefined;
      return { id: row.id, accountId: row.account_id, requestId: row.request_id, contentType: row.content_type, sizeBytes: row.size_bytes, createdAt: row.created_at };
    },
  };
}

const SIGNATURES: readonly { type: string; test: (b: Uint8Array) => boolean }[] = [
  { type: 'image/png', test: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: 'image/jpeg', test: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { type: 'image/gif', test: (b) => ascii(b, 0, 'GIF8') },
  { type: 'image/webp', test: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP') },
  { type: 'audio/wav', test: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE') },
  { type: 'audio/flac', test: (b) => ascii(b, 0, 'fLaC') },
  { type: 'audio/ogg', test: (b) => ascii(b, 0, 'OggS') },
  { type: 'audio/mpeg', test: (b) => ascii(b, 0, 'ID3') || (b.length > 1 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0) },
];

/**
 * The media type of `bytes` from their magic numbers, never from what a client or upstream claims: files are served
 * without auth, so a mislabelled upload must not become an HTML page on the gateway's origin.
 */
export function sniffContentType(bytes: Uint8Array): string {
  return SIGNATURES.find((s) => s.test(bytes))?.type ?? 'application/octet-stream';
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((value, i) => bytes[i] === value);
}

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}
