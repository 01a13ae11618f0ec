import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFileVault, loadOrCreateMasterKey, MASTER_KEY_FILE_NAME } from '../../../src-gateway/vault/file.js';
import { createVault, VAULT_FILE_NAME } from '../../../src-gateway/vault/index.js';
import { VaultError } from '../../../src-gateway/vault/types.js';

// createVault() must never reach a real keychain from a unit test (it would write into the developer's
// keyring, and the result would depend on the machine). The keychain is declared unusable here; the real
// keychain path is covered by test/keychain, run by scripts/test-keychain.sh.
vi.mock('../../../src-gateway/vault/keychain.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src-gateway/vault/keychain.js')>();
  return {
    ...original,
    diagnoseKeychain: vi.fn(async () => ({ ok: false as const, reason: 'no Secret Service (unit test)' })),
  };
});

const IS_WINDOWS = process.platform === 'win32';
const SECRET = 'sk-live-THIS-MUST-NEVER-LEAK-0123456789';

let dir: string;
let vaultPath: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'omixa-vault-'));
  vaultPath = path.join(dir, 'vault.json');
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const newKey = (): Buffer => randomBytes(32);

async function mode(p: string): Promise<number> {
  return (await fs.stat(p)).mode & 0o777;
}

async function readDoc(): Promise<{ version: number; entries: Record<string, { iv: string; tag: string; data: string }> }> {
  return JSON.parse(await fs.readFile(vaultPath, 'utf8'));
}

/** Flips one bit of one base64 field of one entry, keeping the field well-formed. */
async function flipBit(name: string, field: 'data' | 'tag'): Promise<void> {
  const doc = await readDoc();
  const bytes = Buffer.from(doc.entries[name][field], 'base64');
  bytes[0] ^= 0x01;
  doc.entries[name][field] = bytes.toString('base64');
  await fs.writeFile(vaultPath, JSON.stringify(doc));
}

/** Asserts `promise` rejects with a VaultError of `code` whose message and stack hold no secret material. */
async function expectVaultError(promise: Promise<unknown>, code: string, forbidden: string[] = [SECRET]): Promise<VaultError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a VaultError, but the call succeeded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VaultError);
  const vaultError = err as VaultError;
  expect(vaultError.code).toBe(code);
  for (const s of forbidden) {
    expect(vaultError.message).not.toContain(s);
    expect(String(vaultError.stack)).not.toContain(s);
  }
  return vaultError;
}

describe('createFileVault', () => {
  it('round-trips secrets and reports them in list()', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    expect(vault.backend).toBe('file');

    await vault.set('upstream:azure-east:apiKey', SECRET);
    await vault.set('admin-token', 'tok-ünïcödé-🔑');
    expect(await vault.get('upstream:azure-east:apiKey')).toBe(SECRET);
    expect(await vault.get('admin-token')).toBe('tok-ünïcödé-🔑');
    expect(await vault.list()).toEqual(['admin-token', 'upstream:azure-east:apiKey']);

    await vault.set('admin-token', 'rotated');
    expect(await vault.get('admin-token')).toBe('rotated');
  });

  it('treats a missing file as an empty vault and creates it (and its directory) on first write', async () => {
    const nested = path.join(dir, 'a', 'b', 'vault.json');
    const vault = createFileVault({ path: nested, key: newKey() });
    expect(await vault.get('x')).toBeUndefined();
    expect(await vault.list()).toEqual([]);
    expect(await vault.delete('x')).toBe(false);
    await vault.set('x', 'y');
    expect(await fs.readFile(nested, 'utf8')).toContain('"version": 1');
  });

  it('deletes entries', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    await vault.set('a', '1');
    await vault.set('b', '2');
    expect(await vault.delete('a')).toBe(true);
    expect(await vault.delete('a')).toBe(false);
    expect(await vault.get('a')).toBeUndefined();
    expect(await vault.list()).toEqual(['b']);
  });

  it('persists across vault instances that use the same key', async () => {
    const key = newKey();
    await createFileVault({ path: vaultPath, key }).set('k', SECRET);
    expect(await createFileVault({ path: vaultPath, key: Buffer.from(key) }).get('k')).toBe(SECRET);
  });

  it('writes the documented format with a fresh 12-byte IV per write', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    await vault.set('k', SECRET);
    const first = (await readDoc()).entries.k;
    await vault.set('k', SECRET);
    const doc = await readDoc();
    const second = doc.entries.k;

    expect(doc.version).toBe(1);
    expect(Object.keys(doc.entries)).toEqual(['k']);
    expect(Object.keys(second).sort()).toEqual(['data', 'iv', 'tag']);
    expect(Buffer.from(second.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(second.tag, 'base64')).toHaveLength(16);
    expect(second.iv).not.toBe(first.iv);
    expect(second.data).not.toBe(first.data);
  });

  it('serialises concurrent writes of one vault so none is lost', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    const names = Array.from({ length: 25 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n) => vault.set(n, `value-${n}`)));
    expect(await vault.list()).toEqual(names);
    expect(await vault.get('s07')).toBe('value-s07');
  });

  it('never writes the secret (as text, base64 or hex) or the key into the file, and leaves no temp files', async () => {
    const key = newKey();
    const vault = createFileVault({ path: vaultPath, key });
    await vault.set('k', SECRET);
    await vault.set('k2', SECRET);
    await vault.delete('k2');

    const bytes = await fs.readFile(vaultPath);
    const secretBuf = Buffer.from(SECRET, 'utf8');
    for (const needle of [secretBuf, Buffer.from(secretBuf.toString('base64')), Buffer.from(secretBuf.toString('hex')), Buffer.from('THIS-MUST-NEVER-LEAK')]) {
      expect(bytes.includes(needle)).toBe(false);
    }
    for (const needle of [key, Buffer.from(key.toString('hex')), Buffer.from(key.toString('base64'))]) {
      expect(bytes.includes(needle)).toBe(false);
    }
    expect(await fs.readdir(dir)).toEqual(['vault.json']);
  });

  it.skipIf(IS_WINDOWS)('creates the vault file with mode 0600 and keeps it so across rewrites', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    await vault.set('k', 'v');
    expect(await mode(vaultPath)).toBe(0o600);

    // Even a file someone loosened is replaced by a 0600 one on the next write (atomic rename, not in-place).
    await fs.chmod(vaultPath, 0o644);
    await vault.set('k2', 'v2');
    expect(await mode(vaultPath)).toBe(0o600);
  });

  it('rejects a key that is not 32 bytes', () => {
    expect(() => createFileVault({ path: vaultPath, key: randomBytes(16) })).toThrow(VaultError);
    expect(() => createFileVault({ path: vaultPath, key: 'x'.repeat(32) as unknown as Buffer })).toThrow(/32-byte/);
  });

  it('rejects empty names and values without touching the file', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    await expectVaultError(vault.set('', 'v'), 'INVALID_ARGUMENT');
    await expectVaultError(vault.set('n', ''), 'INVALID_ARGUMENT');
    await expectVaultError(vault.set('bad\nname', 'v'), 'INVALID_ARGUMENT');
    await expect(fs.access(vaultPath)).rejects.toThrow();
  });

  it('stores a secret named __proto__ as an ordinary entry', async () => {
    const key = newKey();
    const vault = createFileVault({ path: vaultPath, key });
    await vault.set('__proto__', 'p');
    await vault.set('constructor', 'c');
    const reopened = createFileVault({ path: vaultPath, key });
    expect(await reopened.list()).toEqual(['__proto__', 'constructor']);
    expect(await reopened.get('__proto__')).toBe('p');
    expect(Object.hasOwn((await readDoc()).entries, '__proto__')).toBe(true);
  });
});

describe('createFileVault with a wrong key', () => {
  it('fails every operation with a clear VaultError that carries no secret material', async () => {
    const rightKey = newKey();
    const wrongKey = newKey();
    await createFileVault({ path: vaultPath, key: rightKey }).set('k', SECRET);
    const before = await fs.readFile(vaultPath);

    const vault = createFileVault({ path: vaultPath, key: wrongKey });
    const forbidden = [SECRET, rightKey.toString('hex'), wrongKey.toString('hex'), rightKey.toString('base64'), wrongKey.toString('base64')];
    const err = await expectVaultError(vault.get('k'), 'WRONG_KEY', forbidden);
    expect(err.message).toBe('vault file cannot be decrypted with this master key');
    await expectVaultError(vault.list(), 'WRONG_KEY', forbidden);
    await expectVaultError(vault.delete('k'), 'WRONG_KEY', forbidden);
    // A write under another key would leave a file that no single key can fully open.
    await expectVaultError(vault.set('other', 'value'), 'WRONG_KEY', forbidden);

    expect((await fs.readFile(vaultPath)).equals(before)).toBe(true);
    expect(await createFileVault({ path: vaultPath, key: rightKey }).get('k')).toBe(SECRET);
  });
});

describe('createFileVault with a tampered file', () => {
  it('detects altered ciphertext of one entry while others stay readable', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    await vault.set('a', SECRET);
    await vault.set('b', 'fine');
    await flipBit('a', 'data');

    const err = await expectVaultError(vault.get('a'), 'CORRUPT');
    expect(err.message).toMatch(/"a".*(corrupted|tampered)/);
    expect(await vault.get('b')).toBe('fine');
  });

  it('detects an altered auth tag', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    await vault.set('a', SECRET);
    await vault.set('b', 'fine');
    await flipBit('a', 'tag');
    await expectVaultError(vault.get('a'), 'CORRUPT');
  });

  it('cannot tell a lone tampered entry from a wrong key, and says so safely', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    await vault.set('a', SECRET);
    await flipBit('a', 'data');
    await expectVaultError(vault.get('a'), 'WRONG_KEY');
  });

  it('binds each ciphertext to its name, so entries cannot be swapped', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    await vault.set('admin-token', SECRET);
    await vault.set('upstream', 'other');
    const doc = await readDoc();
    doc.entries.upstream = doc.entries['admin-token'];
    await fs.writeFile(vaultPath, JSON.stringify(doc));
    await expectVaultError(vault.get('upstream'), 'CORRUPT');
  });

  it('reports a structurally broken file as MALFORMED without quoting its contents', async () => {
    const vault = createFileVault({ path: vaultPath, key: newKey() });
    await fs.writeFile(vaultPath, `{"version":1,"entries":{"k":"${SECRET}"`);
    await expectVaultError(vault.get('k'), 'MALFORMED');
    await fs.writeFile(vaultPath, JSON.stringify({ version: 2, entries: {} }));
    await expectVaultError(vault.list(), 'MALFORMED');
    await fs.writeFile(vaultPath, JSON.stringify({ version: 1, entries: { k: { iv: 'AAAA', tag: 'AAAA', data: SECRET } } }));
    await expectVaultError(vault.get('k'), 'MALFORMED');
  });
});

describe('loadOrCreateMasterKey', () => {
  const HEX = 'a1'.repeat(32);

  it('uses a valid env value (64 hex chars, surrounding whitespace ignored) and creates no key file', async () => {
    expect(await loadOrCreateMasterKey(dir, HEX)).toEqual(Buffer.from(HEX, 'hex'));
    expect(await loadOrCreateMasterKey(dir, `  ${HEX.toUpperCase()}\n`)).toEqual(Buffer.from(HEX, 'hex'));
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it.each([
    ['too short', 'a1'.repeat(31) + 'a'],
    ['too long', 'a1'.repeat(33)],
    ['non-hex', 'g1'.repeat(32)],
    ['base64 of 32 bytes', randomBytes(32).toString('base64')],
  ])('rejects an env value that is %s, without echoing it', async (_label, value) => {
    const err = await expectVaultError(loadOrCreateMasterKey(dir, value), 'INVALID_KEY', [value]);
    expect(err.message).toMatch(/OMIXA_MASTER_KEY must be exactly 64 hex characters/);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it.skipIf(IS_WINDOWS)('creates <dataDir>/master.key (0600, 64 hex chars) once and reuses it', async () => {
    const dataDir = path.join(dir, 'fresh-data-dir');
    const key = await loadOrCreateMasterKey(dataDir);
    const keyPath = path.join(dataDir, MASTER_KEY_FILE_NAME);
    expect(key).toHaveLength(32);
    expect((await fs.readFile(keyPath, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(await mode(keyPath)).toBe(0o600);
    expect(await loadOrCreateMasterKey(dataDir)).toEqual(key);
    // An empty env value (OMIXA_MASTER_KEY=) means "not set".
    expect(await loadOrCreateMasterKey(dataDir, '')).toEqual(key);
    expect(await fs.readdir(dataDir)).toEqual([MASTER_KEY_FILE_NAME]);
  });

  it('hands the same key to concurrent first callers', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateMasterKey(dir)));
    for (const k of keys) expect(k).toEqual(keys[0]);
    expect(await fs.readdir(dir)).toEqual([MASTER_KEY_FILE_NAME]);
  });

  it('lets the env value win over an existing key file', async () => {
    await loadOrCreateMasterKey(dir);
    expect(await loadOrCreateMasterKey(dir, HEX)).toEqual(Buffer.from(HEX, 'hex'));
  });

  it('rejects a malformed key file without quoting it', async () => {
    const junk = 'not-a-key-' + SECRET;
    await fs.writeFile(path.join(dir, MASTER_KEY_FILE_NAME), junk);
    await expectVaultError(loadOrCreateMasterKey(dir), 'MALFORMED', [junk, SECRET]);
  });
});

describe('createVault', () => {
  it('backend "file" opens <dataDir>/vault.json with <dataDir>/master.key', async () => {
    const vault = await createVault({ backend: 'file', dataDir: dir, namespace: 'inst-1' });
    expect(vault.backend).toBe('file');
    await vault.set('k', SECRET);
    expect((await fs.readdir(dir)).sort()).toEqual([MASTER_KEY_FILE_NAME, VAULT_FILE_NAME].sort());
    const key = await loadOrCreateMasterKey(dir);
    expect(await createFileVault({ path: path.join(dir, VAULT_FILE_NAME), key }).get('k')).toBe(SECRET);
  });

  it('backend "file" uses masterKeyHex when given and then creates no key file', async () => {
    const hex = randomBytes(32).toString('hex');
    const vault = await createVault({ backend: 'file', dataDir: dir, namespace: 'inst-1', masterKeyHex: hex });
    await vault.set('k', 'v');
    expect(await fs.readdir(dir)).toEqual([VAULT_FILE_NAME]);
    expect(await createFileVault({ path: path.join(dir, VAULT_FILE_NAME), key: Buffer.from(hex, 'hex') }).get('k')).toBe('v');
  });

  it('backend "auto" falls back to the file vault with one warning when the keychain is unusable', async () => {
    const warn = vi.fn();
    const hex = randomBytes(32).toString('hex');
    const vault = await createVault({ backend: 'auto', dataDir: dir, namespace: 'inst-1', masterKeyHex: hex, logger: { warn } });
    expect(vault.backend).toBe('file');
    expect(warn).toHaveBeenCalledTimes(1);
    const [obj, msg] = warn.mock.calls[0] as [Record<string, unknown>, string];
    expect(obj).toMatchObject({ secretBackend: 'file', reason: 'no Secret Service (unit test)', vaultPath: path.join(dir, VAULT_FILE_NAME) });
    expect(msg).toMatch(/keychain/i);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(hex);
  });

  it('backend "keychain" fails loudly with the reason when the keychain is unusable', async () => {
    const err = await expectVaultError(createVault({ backend: 'keychain', dataDir: dir, namespace: 'inst-1' }), 'BACKEND_UNAVAILABLE');
    expect(err.message).toContain('OMIXA_SECRET_BACKEND=keychain');
    expect(err.message).toContain('no Secret Service (unit test)');
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('rejects an unknown backend and an invalid master key', async () => {
    await expectVaultError(createVault({ backend: 'Keychain' as 'keychain', dataDir: dir, namespace: 'inst-1' }), 'INVALID_ARGUMENT');
    await expectVaultError(createVault({ backend: 'file', dataDir: dir, namespace: 'inst-1', masterKeyHex: 'abc' }), 'INVALID_KEY');
  });
});
