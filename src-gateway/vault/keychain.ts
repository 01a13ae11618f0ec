/**
 * OS keychain backend (macOS Keychain, Windows Credential Manager, Linux Secret Service) via keytar.
 *
 * keytar is a native module: it may be missing, built for another ABI, or (on Linux) talk to a Secret Service
 * that is absent, locked or hung. None of that may crash the gateway at import time, so keytar is loaded lazily
 * and the usability check ({@link probeKeychain}) does a real round trip under a timeout.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { assertValidSecretName, assertValidSecretValue, VaultError, type SecretVault } from './types.js';

type Keytar = typeof import('keytar');

/** Default time budget of {@link probeKeychain}; a healthy keychain answers in milliseconds. */
export const DEFAULT_PROBE_TIMEOUT_MS = 2_000;

// Namespaces become the prefix `${namespace}:` of account names. Restricting them to a colon-free alphabet
// guarantees that one namespace can never be a prefix of another (e.g. `a` vs `a:b`) and that probe accounts
// (which contain no colon) never show up in list().
const NAMESPACE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

let keytarPromise: Promise<Keytar> | undefined;

/**
 * Loads keytar on first use. createRequire (rather than a static import) keeps a broken native build from
 * failing the import of this module, and yields keytar's CommonJS exports as-is.
 * A failed load is cached: a native module that failed to load will not load on a retry either.
 */
function loadKeytar(): Promise<Keytar> {
  keytarPromise ??= (async () => {
    try {
      const require = createRequire(import.meta.url);
      return require('keytar') as Keytar;
    } catch (err) {
      throw new VaultError('BACKEND_UNAVAILABLE', `keytar native module could not be loaded: ${errorMessage(err)}`, { cause: err });
    }
  })();
  return keytarPromise;
}

/** Options of {@link createKeychainVault}. */
export interface KeychainVaultOptions {
  /** Keychain service name shared by all Omixa instances, e.g. `omixa-desktop`. */
  service: string;
  /** Per-data-dir instance id; keeps several data dirs on one machine from seeing each other's secrets. */
  namespace: string;
}

/**
 * Creates a vault that keeps each secret as one keychain item: service = `service`,
 * account = `${namespace}:${name}`. Creating it does not touch the keychain; use {@link probeKeychain} first
 * when it matters whether the keychain works.
 *
 * @throws VaultError (`INVALID_ARGUMENT`) when service or namespace is unusable.
 */
export function createKeychainVault(options: KeychainVaultOptions): SecretVault {
  const { service, namespace } = options;
  if (typeof service !== 'string' || service.length === 0) {
    throw new VaultError('INVALID_ARGUMENT', 'keychain service name must be a non-empty string');
  }
  if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) {
    throw new VaultError('INVALID_ARGUMENT', 'keychain namespace must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"');
  }
  const prefix = `${namespace}:`;
  const account = (name: string): string => `${prefix}${name}`;

  return {
    backend: 'keychain',

    async get(name) {
      assertValidSecretName(name);
      const keytar = await loadKeytar();
      const value = await call('get', name, () => keytar.getPassword(service, account(name)));
      return value ?? undefined;
    },

    async set(name, value) {
      assertValidSecretName(name);
      assertValidSecretValue(value);
      const keytar = await loadKeytar();
      await call('set', name, () => keytar.setPassword(service, account(name), value));
    },

    async delete(name) {
      assertValidSecretName(name);
      const keytar = await loadKeytar();
      return call('delete', name, () => keytar.deletePassword(service, account(name)));
    },

    async list() {
      const keytar = await loadKeytar();
      // keytar has no "list accounts" call; findCredentials also returns the passwords of the whole service,
      // which are dropped right here and never leave this function.
      const credentials = await call('list', undefined, () => keytar.findCredentials(service));
      return credentials
        .filter((c) => c.account.startsWith(prefix))
        .map((c) => c.account.slice(prefix.length))
        .sort();
    },
  };
}

/** Result of {@link diagnoseKeychain}: `reason` is a log-safe explanation when the keychain is unusable. */
export type KeychainDiagnosis = { ok: true } | { ok: false; reason: string };

/**
 * Checks that the OS keychain really works by storing, reading back and deleting a throwaway secret
 * under `service`, all within `timeoutMs`. On Linux keytar can throw (no D-Bus session, no Secret Service)
 * or hang (locked collection waiting on a prompt nobody will answer), hence the real round trip and the timeout.
 *
 * If the timeout fires, the round trip keeps running in the background and still deletes its throwaway item
 * should it ever complete. (keytar's worker thread cannot be cancelled.)
 */
export async function diagnoseKeychain(service: string, options: { timeoutMs?: number } = {}): Promise<KeychainDiagnosis> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  let keytar: Keytar;
  try {
    keytar = await loadKeytar();
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }

  // No colon in the account: it can never fall inside a namespace's `${namespace}:` prefix.
  const account = `omixa-probe-${randomBytes(8).toString('hex')}`;
  const value = randomBytes(16).toString('hex');
  const roundTrip = (async () => {
    try {
      await keytar.setPassword(service, account, value);
      const readBack = await keytar.getPassword(service, account);
      if (readBack !== value) throw new Error('keychain returned a different value than was stored');
    } finally {
      await keytar.deletePassword(service, account).catch(() => false);
    }
  })();

  try {
    await withTimeout(roundTrip, timeoutMs);
    return { ok: true };
  } catch (err) {
    // Swallow the late outcome so a round trip finishing after the timeout is not an unhandled rejection.
    roundTrip.catch(() => undefined);
    return { ok: false, reason: errorMessage(err) };
  }
}

/**
 * `true` when the OS keychain completes a real set/get/delete round trip within `timeoutMs` (default 2 s).
 * See {@link diagnoseKeychain} for the reason when it does not.
 */
export async function probeKeychain(service: string, options: { timeoutMs?: number } = {}): Promise<boolean> {
  return (await diagnoseKeychain(service, options)).ok;
}

/** Runs one keytar call and turns its failures into VaultErrors that name the operation but no value. */
async function call<T>(op: string, name: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const target = name === undefined ? '' : ` for "${name}"`;
    throw new VaultError('BACKEND_FAILURE', `keychain ${op}${target} failed: ${errorMessage(err)}`, { cause: err });
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keychain did not answer within ${timeoutMs} ms`)), timeoutMs);
    // The timer alone must not keep a process alive that is otherwise done.
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
