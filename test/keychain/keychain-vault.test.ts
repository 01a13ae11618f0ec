/**
 * Keychain backend against a REAL Secret Service. Run it with `bash scripts/test-keychain.sh`, which starts a
 * throwaway gnome-keyring on a private D-Bus session. Without a working keychain these tests FAIL on purpose
 * (beforeAll throws): nothing here is skipped silently.
 *
 * Every run uses its own keychain service name and removes all of its items afterwards, so it is harmless even
 * against a developer's real keyring.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKeychainVault, diagnoseKeychain, probeKeychain } from '../../src-gateway/vault/keychain.js';
import { createVault } from '../../src-gateway/vault/index.js';
import { VaultError } from '../../src-gateway/vault/types.js';

const keytar = createRequire(import.meta.url)('keytar') as typeof import('keytar');

const SERVICE = `omixa-test-${randomBytes(6).toString('hex')}`;

beforeAll(async () => {
  // Generous budget here: this is a precondition check with a diagnostic, not the production probe.
  const diagnosis = await diagnoseKeychain(SERVICE, { timeoutMs: 10_000 });
  if (!diagnosis.ok) {
    throw new Error(
      `No working OS keychain (${diagnosis.reason}). Run these tests via scripts/test-keychain.sh, which starts gnome-keyring under dbus-run-session.`,
    );
  }
});

afterAll(async () => {
  for (const { account } of await keytar.findCredentials(SERVICE)) {
    await keytar.deletePassword(SERVICE, account);
  }
});

describe('createKeychainVault (real Secret Service)', () => {
  it('round-trips, overwrites and returns undefined for missing names', async () => {
    const vault = createKeychainVault({ service: SERVICE, namespace: 'roundtrip' });
    expect(vault.backend).toBe('keychain');
    const long = `sk-${randomBytes(1024).toString('hex')}`;

    await vault.set('upstream:azure-east:apiKey', long);
    await vault.set('admin-token', 'tok-ünïcödé-🔑');
    expect(await vault.get('upstream:azure-east:apiKey')).toBe(long);
    expect(await vault.get('admin-token')).toBe('tok-ünïcödé-🔑');
    expect(await vault.get('missing')).toBeUndefined();

    await vault.set('admin-token', 'rotated');
    expect(await vault.get('admin-token')).toBe('rotated');
  });

  it('stores each secret under account "<namespace>:<name>"', async () => {
    const vault = createKeychainVault({ service: SERVICE, namespace: 'layout' });
    await vault.set('admin-token', 'v1');
    expect(await keytar.getPassword(SERVICE, 'layout:admin-token')).toBe('v1');
  });

  it('isolates namespaces that share a service and secret names', async () => {
    const a = createKeychainVault({ service: SERVICE, namespace: 'inst-a' });
    const b = createKeychainVault({ service: SERVICE, namespace: 'inst-b' });
    await a.set('admin-token', 'token-of-a');
    await b.set('admin-token', 'token-of-b');
    await a.set('only-in-a', 'x');

    expect(await a.get('admin-token')).toBe('token-of-a');
    expect(await b.get('admin-token')).toBe('token-of-b');
    expect(await b.get('only-in-a')).toBeUndefined();
    expect(await a.list()).toEqual(['admin-token', 'only-in-a']);
    expect(await b.list()).toEqual(['admin-token']);

    expect(await a.delete('admin-token')).toBe(true);
    expect(await a.get('admin-token')).toBeUndefined();
    expect(await b.get('admin-token')).toBe('token-of-b');
  });

  it('lists only its own names, sorted, including names that contain colons', async () => {
    const vault = createKeychainVault({ service: SERVICE, namespace: 'lister' });
    // A namespace whose name starts like ours must not leak into our list.
    const lookalike = createKeychainVault({ service: SERVICE, namespace: 'lister-2' });
    await lookalike.set('theirs', 'x');
    expect(await vault.list()).toEqual([]);

    for (const name of ['zeta', 'alpha', 'upstream:dep-1:key']) await vault.set(name, `v-${name}`);
    // Probe items of the same service must not show up either.
    expect(await probeKeychain(SERVICE)).toBe(true);
    expect(await vault.list()).toEqual(['alpha', 'upstream:dep-1:key', 'zeta']);
  });

  it('deletes: true when something was removed, false otherwise', async () => {
    const vault = createKeychainVault({ service: SERVICE, namespace: 'deleter' });
    await vault.set('k', 'v');
    expect(await vault.delete('k')).toBe(true);
    expect(await vault.delete('k')).toBe(false);
    expect(await vault.get('k')).toBeUndefined();
    expect(await vault.list()).toEqual([]);
  });

  it('rejects invalid names, values and namespaces before reaching the keychain', async () => {
    const vault = createKeychainVault({ service: SERVICE, namespace: 'validation' });
    await expect(vault.set('k', '')).rejects.toBeInstanceOf(VaultError);
    await expect(vault.get('')).rejects.toBeInstanceOf(VaultError);
    expect(() => createKeychainVault({ service: SERVICE, namespace: 'has:colon' })).toThrow(VaultError);
    expect(() => createKeychainVault({ service: '', namespace: 'ok' })).toThrow(VaultError);
  });
});

describe('probeKeychain (real Secret Service)', () => {
  it('returns true within its 2 s default budget and leaves no item behind', async () => {
    const service = `${SERVICE}-probe`;
    const started = performance.now();
    expect(await probeKeychain(service)).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await keytar.findCredentials(service)).toEqual([]);
  });
});

describe('createVault (real Secret Service)', () => {
  it('"auto" picks the keychain, warns about nothing and creates no master key or vault file', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'omixa-keychain-'));
    try {
      const warn = vi.fn();
      const vault = await createVault({ backend: 'auto', dataDir, namespace: 'auto-inst', keychainService: SERVICE, logger: { warn } });
      expect(vault.backend).toBe('keychain');
      expect(warn).not.toHaveBeenCalled();

      await vault.set('admin-token', 'via-auto');
      expect(await createKeychainVault({ service: SERVICE, namespace: 'auto-inst' }).get('admin-token')).toBe('via-auto');
      expect(await fs.readdir(dataDir)).toEqual([]);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('"keychain" works when the keychain does', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'omixa-keychain-'));
    try {
      const vault = await createVault({ backend: 'keychain', dataDir, namespace: 'explicit-inst', keychainService: SERVICE });
      expect(vault.backend).toBe('keychain');
      await vault.set('k', 'v');
      expect(await vault.get('k')).toBe('v');
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
