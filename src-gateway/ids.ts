import { randomBytes, createHash } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform random base62 string (rejection sampling, so no character is favoured). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Prefixed random id with ≥ 128 bits of entropy (22 base62 chars ≈ 131 bits). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(22)}`;
}

export const CLIENT_KEY_PREFIX = 'omx_live_';

export function newClientKey(): string {
  return CLIENT_KEY_PREFIX + randomBase62(32);
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
