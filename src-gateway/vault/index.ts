/**
 * Entry point of the secret vault: resolves `OMIXA_SECRET_BACKEND` into a working {@link SecretVault}.
 *
 * - `keychain`: the OS keychain, or a startup error when it does not work (an explicit choice must not degrade silently).
 * - `file`: the AES-256-GCM file vault `<dataDir>/vault.json`, keyed by `OMIXA_MASTER_KEY` or `<dataDir>/master.key`.
 * - `auto` (default): the keychain when a real round trip succeeds, otherwise the file vault with a logged warning.
 */
import path from 'node:path';
import { createFileVault, loadOrCreateMasterKey } from './file.js';
import { createKeychainVault, DEFAULT_PROBE_TIMEOUT_MS, diagnoseKeychain } from './keychain.js';
import { VaultError, type SecretVault } from './types.js';

export { createFileVault, loadOrCreateMasterKey, MASTER_KEY_FILE_NAME, type FileVaultOptions } from './file.js';
export { createKeychainVault, diagnoseKeychain, probeKeychain, type KeychainDiagnosis, type KeychainVaultOptions } from './keychain.js';
export { isVaultError, VaultError, type SecretVault, type VaultErrorCode } from './types.js';

/** Value space of `OMIXA_SECRET_BACKEND`. */
export type SecretBackendSetting = 'auto' | 'keychain' | 'file';

/** Keychain service name under which every Omixa instance files its items (namespaced per data dir). */
export const DEFAULT_KEYCHAIN_SERVICE = 'omixa-desktop';

/** Name of the encrypted vault file inside the data dir (file backend only). */
export const VAULT_FILE_NAME = 'vault.json';

/** Minimal logger surface (pino-compatible) used to warn about the `auto` fallback. */
export interface VaultLogger {
  warn(obj: object, msg?: string): void;
}

/** Options of {@link createVault}. */
export interface CreateVaultOptions {
  /** `OMIXA_SECRET_BACKEND`. */
  backend: SecretBackendSetting;
  /** Data dir of this instance: holds `vault.json` and `master.key` for the file backend. */
  dataDir: string;
  /** Per-data-dir instance id; prefixes keychain account names (`A-Z a-z 0-9 . _ -`, at most 64 chars). */
  namespace: string;
  /** `OMIXA_MASTER_KEY` (64 hex chars); without it the file backend uses `<dataDir>/master.key`. */
  masterKeyHex?: string;
  logger?: VaultLogger;
  /** Keychain service name; defaults to {@link DEFAULT_KEYCHAIN_SERVICE}. Tests use their own. */
  keychainService?: string;
  /** Budget of the keychain round-trip probe; defaults to 2 s. */
  probeTimeoutMs?: number;
}

/**
 * Resolves the configured backend into a ready vault.
 *
 * For `keychain` and `auto` the keychain is probed with a real set/get/delete round trip (up to `probeTimeoutMs`),
 * so startup may take that long on a machine whose Secret Service hangs. The file backend's master key is only
 * read or created when the file backend is actually chosen: a keychain setup never leaves a `master.key` behind.
 *
 * Note for `auto`: the two backends do not share contents. If the keychain is usable on one start and not on the
 * next, the secrets stored in the other backend are not visible; the fallback warning says which backend is used.
 *
 * @throws VaultError `BACKEND_UNAVAILABLE` when `keychain` is requested but does not work;
 *   `INVALID_KEY` / `MALFORMED` for a bad master key; `INVALID_ARGUMENT` for an unknown backend or bad namespace.
 */
export async function createVault(options: CreateVaultOptions): Promise<SecretVault> {
  const service = options.keychainService ?? DEFAULT_KEYCHAIN_SERVICE;
  const timeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;

  switch (options.backend) {
    case 'file':
      return openFileVault(options);

    case 'keychain': {
      // Built first so a bad namespace is reported as such, not as an unusable keychain.
      const vault = createKeychainVault({ service, namespace: options.namespace });
      const diagnosis = await diagnoseKeychain(service, { timeoutMs });
      if (!diagnosis.ok) {
        throw new VaultError(
          'BACKEND_UNAVAILABLE',
          `OMIXA_SECRET_BACKEND=keychain but the OS keychain is not usable: ${diagnosis.reason}. ` +
            'Start/unlock the keychain (on Linux: a Secret Service such as gnome-keyring on the D-Bus session bus) ' +
            'or set OMIXA_SECRET_BACKEND=file.',
        );
      }
      return vault;
    }

    case 'auto': {
      const vault = createKeychainVault({ service, namespace: options.namespace });
      const diagnosis = await diagnoseKeychain(service, { timeoutMs });
      if (diagnosis.ok) return vault;
      const fileVault = await openFileVault(options);
      options.logger?.warn(
        { secretBackend: 'file', vaultPath: vaultFilePath(options.dataDir), reason: diagnosis.reason },
        'OS keychain not usable; secrets are stored in the encrypted vault file instead',
      );
      return fileVault;
    }

    default:
      throw new VaultError(
        'INVALID_ARGUMENT',
        `unknown secret backend ${JSON.stringify(options.backend as unknown)}; expected "auto", "keychain" or "file"`,
      );
  }
}

async function openFileVault(options: CreateVaultOptions): Promise<SecretVault> {
  const key = await loadOrCreateMasterKey(options.dataDir, options.masterKeyHex);
  return createFileVault({ path: vaultFilePath(options.dataDir), key });
}

function vaultFilePath(dataDir: string): string {
  return path.join(dataDir, VAULT_FILE_NAME);
}
