/**
 * Shared contract of the secret vault.
 *
 * Upstream deployment secrets and the admin token live behind this interface and never in SQLite or logs.
 * Two backends implement it: the OS keychain (`keychain.ts`) and an AES-256-GCM encrypted file (`file.ts`);
 * `index.ts` chooses between them from `OMIXA_SECRET_BACKEND`.
 */

/** A store of named secrets. Names are not secret (they may appear in logs); values always are. */
export interface SecretVault {
  /** Which backend actually holds the secrets (after `auto` was resolved). */
  readonly backend: 'keychain' | 'file';
  /** Returns the secret stored under `name`, or `undefined` when there is none. */
  get(name: string): Promise<string | undefined>;
  /** Stores (or replaces) the secret under `name`. The value must be a non-empty string. */
  set(name: string, value: string): Promise<void>;
  /** Removes the secret under `name`; resolves `true` when something was removed. */
  delete(name: string): Promise<boolean>;
  /** Names of all secrets in this vault, sorted. */
  list(): Promise<string[]>;
}

/** Machine-readable reason of a {@link VaultError}. */
export type VaultErrorCode =
  /** The file vault exists but none of its entries decrypts with the given master key. */
  | 'WRONG_KEY'
  /** One entry failed authentication while others decrypted fine: the file was corrupted or tampered with. */
  | 'CORRUPT'
  /** The vault file or master key file is not in the expected format. */
  | 'MALFORMED'
  /** A master key (env value or constructor argument) has the wrong shape. */
  | 'INVALID_KEY'
  /** A secret name or value was rejected before reaching the backend. */
  | 'INVALID_ARGUMENT'
  /** The requested backend cannot be used on this machine (e.g. no Secret Service). */
  | 'BACKEND_UNAVAILABLE'
  /** The backend was usable but an operation on it failed. */
  | 'BACKEND_FAILURE';

/**
 * Error thrown by every vault operation. Messages are written to be safe to log:
 * they may name a secret or a file path, but never contain secret values or key material.
 */
export class VaultError extends Error {
  readonly code: VaultErrorCode;

  constructor(code: VaultErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VaultError';
    this.code = code;
  }
}

/** Type guard for {@link VaultError}. */
export function isVaultError(value: unknown): value is VaultError {
  return value instanceof VaultError;
}

// Names end up as keychain account names and JSON keys; control characters would make them
// ambiguous in logs and some keychains truncate at NUL, so they are refused up front.
const MAX_NAME_LENGTH = 256;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Rejects names both backends cannot store faithfully.
 * @internal shared by the backends; not part of the public vault API.
 */
export function assertValidSecretName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new VaultError('INVALID_ARGUMENT', 'secret name must be a non-empty string');
  }
  if (name.length > MAX_NAME_LENGTH || CONTROL_CHARS.test(name)) {
    throw new VaultError('INVALID_ARGUMENT', `secret name must be at most ${MAX_NAME_LENGTH} characters without control characters`);
  }
}

/**
 * Rejects values both backends cannot store. Empty strings are refused because keytar cannot store them,
 * and the two backends must behave alike. The value itself is never put into the message.
 * @internal shared by the backends; not part of the public vault API.
 */
export function assertValidSecretValue(value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new VaultError('INVALID_ARGUMENT', 'secret value must be a non-empty string');
  }
}
