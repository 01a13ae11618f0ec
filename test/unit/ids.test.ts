import { describe, expect, it } from 'vitest';
import { CLIENT_KEY_PREFIX, newClientKey, newId, newSortableId, randomBase62, sha256Hex } from '../../src-gateway/ids.js';

describe('ids', () => {
  it('sha256Hex gives the standard digests (FIPS 180-2 vectors), of the UTF-8 bytes', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(sha256Hex('é')).toBe(sha256Hex(Buffer.from([0xc3, 0xa9]).toString('utf8')));
    expect(sha256Hex('é')).not.toBe(sha256Hex('e'));
  });

  it('random ids are base62 of the asked length, and do not repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const s = randomBase62(22);
      expect(s).toMatch(/^[0-9A-Za-z]{22}$/);
      seen.add(s);
    }
    expect(seen.size).toBe(2000);
    expect(newId('req')).toMatch(/^req_[0-9A-Za-z]{22}$/);
    expect(newClientKey().startsWith(CLIENT_KEY_PREFIX)).toBe(true);
    expect(newClientKey()).toHaveLength(CLIENT_KEY_PREFIX.length + 32);
  });

  it('sortable ids sort as text in the order of their clock', () => {
    const times = [0, 1, 61, 62, 1_700_000_000_000, 1_700_000_000_001, 1_795_811_665_721];
    const ids = times.map((t) => newSortableId('txn', t));
    for (const id of ids) expect(id).toMatch(/^txn_[0-9A-Za-z]{30}$/);
    expect([...ids].reverse().sort()).toEqual(ids);
  });
});
