import { hash, randomFillSync } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * CSPRNG bytes drawn from a pooled buffer refilled 4 KB at a time: one `randomFillSync` per ~150 ids instead of one
 * `randomBytes` allocation per id (ids are minted 4-5 times per billed call). Each byte is used once.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** Uniform random base62 string (rejection sampling, so no character is favoured). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    if (poolAt === pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    const byte = pool[poolAt++]!;
    if (byte < 248) out += BASE62[byte % 62];
  }
  return out;
}

/** Prefixed random id with ≥ 128 bits of entropy (22 base62 chars ≈ 131 bits). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(22)}`;
}

/** Fixed-width base62 milliseconds (8 characters: sorts as text until the year 8000). */
function timeBase62(ms: number): string {
  let out = '';
  for (let i = 0; i < 8; i++) {
    out = BASE62[ms % 62]! + out;
    ms = Math.floor(ms / 62);
  }
  return out;
}

/**
 * Prefixed id that sorts by creation time: 8 base62 characters of the millisecond clock, then the same 22 random
 * characters as `newId` (so the same ≥ 128 bits of entropy). For ids that are indexed on every billed call (requests,
 * ledger rows): a B-tree insert of a time-ordered key lands on the index's last page, which the previous inserts
 * already dirtied, instead of a random leaf, so a commit writes a handful of pages instead of one per row and index.
 */
export function newSortableId(prefix: string, now = Date.now()): string {
  return `${prefix}_${timeBase62(now)}${randomBase62(22)}`;
}

export const CLIENT_KEY_PREFIX = 'omx_live_';

export function newClientKey(): string {
  return CLIENT_KEY_PREFIX + randomBase62(32);
}

/** Hex SHA-256 of `value`. The one-shot `crypto.hash` makes no Hash object: ~0.9 µs against 1.7 µs, and less code on a cold call. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}
