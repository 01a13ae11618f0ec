/**
 * Encrypted-file backend: the fallback when no OS keychain is usable (headless Linux, containers, CI).
 *
 * File format (JSON, every binary field base64):
 *   { "version": 1, "entries": { "<name>": { "iv": …, "tag": …, "data": … } } }
 * Each value is sealed with AES-256-GCM under the master key, a fresh random 12-byte IV per write, and the
 * entry name as additional authenticated data, so a ciphertext moved to another name fails authentication.
 * Names are stored in clear: they identify secrets but are not secret.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { assertValidSecretName, assertValidSecretValue, VaultError, type SecretVault } from './types.js';

/** Name of the file holding the generated master key inside the data dir. */
export const MASTER_KEY_FILE_NAME = 'master.key';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEX_KEY_PATTERN = /^[0-9a-fA-F]{64}$/;
const WRONG_KEY_MESSAGE = 'vault file cannot be decrypted with this master key';
const IS_WINDOWS = process.platform === 'win32';

interface EncryptedEntry {
  iv: string;
  tag: string;
  data: string;
}

interface VaultFileV1 {
  version: 1;
  entries: Record<string, EncryptedEntry>;
}

/** Options of {@link createFileVault}. */
export interface FileVaultOptions {
  /** Path of the vault file; it and its directory are created on the first write. */
  path: string;
  /** 32-byte AES-256 key, e.g. from {@link loadOrCreateMasterKey}. */
  key: Buffer;
}

/**
 * Creates a vault stored in one AES-256-GCM encrypted JSON file, written atomically with mode 0600.
 *
 * Every operation re-reads the file (it is small) and first checks that the key opens it, so a wrong
 * master key fails fast with `VaultError` code `WRONG_KEY` — including on `set`, which would otherwise
 * silently mix entries under two keys. Operations of one vault object are serialised; several processes
 * writing the same file concurrently are not supported (last writer wins).
 *
 * @throws VaultError (`INVALID_KEY`) when `key` is not 32 bytes.
 */
export function createFileVault(options: FileVaultOptions): SecretVault {
  const filePath = options.path;
  if (!Buffer.isBuffer(options.key) || options.key.length !== KEY_BYTES) {
    throw new VaultError('INVALID_KEY', `file vault key must be a ${KEY_BYTES}-byte Buffer`);
  }
  // Private copy: a caller zeroing or reusing its buffer must not change the key under our feet.
  const key = Buffer.from(options.key);

  // Read-modify-write of one file: without this queue two concurrent set() calls would each drop the other's entry.
  let queue: Promise<unknown> = Promise.resolve();
  const serialize = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Reads and validates the file, and proves the key opens it; a missing file is an empty vault. */
  const load = async (): Promise<Map<string, EncryptedEntry>> => {
    let raw: string;
    try {
      raw = await fs.readFile(filePath, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return new Map();
      throw new VaultError('BACKEND_FAILURE', `vault file ${filePath} cannot be read: ${errorMessage(err)}`, { cause: err });
    }
    const entries = parseVaultFile(raw, filePath);
    assertKeyOpens(entries, key);
    return entries;
  };

  // Methods are async so that argument errors surface as rejections, like every other failure.
  return {
    backend: 'file',

    async get(name) {
      assertValidSecretName(name);
      return serialize(async () => {
        const entry = (await load()).get(name);
        if (entry === undefined) return undefined;
        try {
          return decrypt(entry, name, key);
        } catch (err) {
          // load() proved the key opens some entry, so this one was damaged rather than the key wrong.
          throw new VaultError('CORRUPT', `vault entry "${name}" failed its integrity check; the file is corrupted or was tampered with`, {
            cause: err,
          });
        }
      });
    },

    async set(name, value) {
      assertValidSecretName(name);
      assertValidSecretValue(value);
      return serialize(async () => {
        const entries = await load();
        entries.set(name, encrypt(value, name, key));
        await writeVaultFile(filePath, entries);
      });
    },

    async delete(name) {
      assertValidSecretName(name);
      return serialize(async () => {
        const entries = await load();
        if (!entries.delete(name)) return false;
        await writeVaultFile(filePath, entries);
        return true;
      });
    },

    async list() {
      return serialize(async () => [...(await load()).keys()].sort());
    },
  };
}

/**
 * Returns the file backend's 32-byte master key.
 *
 * - `envValue` (from `OMIXA_MASTER_KEY`) wins when non-empty; it must be exactly 64 hex characters
 *   (surrounding whitespace is ignored, since such values often come from files with a trailing newline).
 * - Otherwise `<dataDir>/master.key` is read, or created on first use with a random key (64 hex chars, mode 0600).
 *   Creation is race-free: the key is written to a temp file and hard-linked into place, so a concurrent process
 *   either wins or reads the complete key of the winner, never a half-written one.
 *
 * Error messages never echo the key or a fragment of it.
 *
 * @throws VaultError `INVALID_KEY` for a malformed env value, `MALFORMED` for a malformed key file.
 */
export async function loadOrCreateMasterKey(dataDir: string, envValue?: string): Promise<Buffer> {
  const fromEnv = envValue?.trim();
  if (fromEnv) {
    if (!HEX_KEY_PATTERN.test(fromEnv)) {
      throw new VaultError(
        'INVALID_KEY',
        `OMIXA_MASTER_KEY must be exactly 64 hex characters (32 bytes); got ${fromEnv.length} characters${
          fromEnv.length === 64 ? ' including non-hex ones' : ''
        }`,
      );
    }
    return Buffer.from(fromEnv, 'hex');
  }

  const keyPath = path.join(dataDir, MASTER_KEY_FILE_NAME);
  const existing = await readKeyFile(keyPath);
  if (existing) return existing;

  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmpPath = tempPathFor(keyPath);
  try {
    await writePrivateFile(tmpPath, `${randomBytes(KEY_BYTES).toString('hex')}\n`);
    await fs.link(tmpPath, keyPath);
  } catch (err) {
    if (isErrno(err, 'EEXIST')) {
      // Another process created the key between our read and link: use theirs.
    } else if (isErrno(err, 'EPERM') || isErrno(err, 'ENOTSUP') || isErrno(err, 'EXDEV')) {
      // File systems without hard links (FAT, some network shares): exclusive rename-free fallback.
      await fs.copyFile(tmpPath, keyPath, fs.constants.COPYFILE_EXCL).catch((copyErr: unknown) => {
        if (!isErrno(copyErr, 'EEXIST')) throw copyErr;
      });
    } else {
      throw err;
    }
  } finally {
    await fs.rm(tmpPath, { force: true });
  }
  const created = await readKeyFile(keyPath);
  if (!created) throw new VaultError('BACKEND_FAILURE', `master key file ${keyPath} vanished right after it was created`);
  return created;
}

/** Reads `master.key`; `undefined` when it does not exist. */
async function readKeyFile(keyPath: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await fs.readFile(keyPath, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw new VaultError('BACKEND_FAILURE', `master key file ${keyPath} cannot be read: ${errorMessage(err)}`, { cause: err });
  }
  const hex = text.trim();
  if (!HEX_KEY_PATTERN.test(hex)) {
    throw new VaultError('MALFORMED', `master key file ${keyPath} is malformed: expected 64 hex characters`);
  }
  return Buffer.from(hex, 'hex');
}

function encrypt(value: string, name: string, key: Buffer): EncryptedEntry {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aadFor(name));
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** Throws (a plain Error from node:crypto, mapped by callers) when the key is wrong or the entry was altered. */
function decrypt(entry: EncryptedEntry, name: string, key: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(entry.iv, 'base64'), { authTagLength: TAG_BYTES });
  decipher.setAAD(aadFor(name));
  decipher.setAuthTag(Buffer.from(entry.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(entry.data, 'base64')), decipher.final()]).toString('utf8');
}

function aadFor(name: string): Buffer {
  return Buffer.from(`omixa-vault:v1:${name}`, 'utf8');
}

/**
 * GCM cannot tell "wrong key" from "altered entry"; what it can tell is whether *any* entry opens.
 * None opening means the key is wrong (or everything was damaged, which the user fixes the same way).
 */
function assertKeyOpens(entries: Map<string, EncryptedEntry>, key: Buffer): void {
  if (entries.size === 0) return;
  for (const [name, entry] of entries) {
    try {
      decrypt(entry, name, key);
      return;
    } catch {
      // try the next entry
    }
  }
  throw new VaultError('WRONG_KEY', WRONG_KEY_MESSAGE);
}

/** Parses and structurally validates the file; messages describe the structure only, never contents. */
function parseVaultFile(raw: string, filePath: string): Map<string, EncryptedEntry> {
  const malformed = (detail: string) => new VaultError('MALFORMED', `vault file ${filePath} is malformed: ${detail}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // JSON.parse messages quote a slice of the input; keep file contents out of errors.
    throw malformed('not valid JSON');
  }
  if (!isRecord(parsed)) throw malformed('top level is not an object');
  if (parsed.version !== 1) throw malformed(`unsupported version ${JSON.stringify(parsed.version)}`);
  if (!isRecord(parsed.entries)) throw malformed('"entries" is not an object');

  // A Map (not a plain object) so that a secret named "__proto__" is just a name.
  const entries = new Map<string, EncryptedEntry>();
  for (const [name, entry] of Object.entries(parsed.entries)) {
    if (
      !isRecord(entry) ||
      !isBase64Of(entry.iv, IV_BYTES) ||
      !isBase64Of(entry.tag, TAG_BYTES) ||
      typeof entry.data !== 'string'
    ) {
      throw malformed(`entry "${name}" does not have base64 iv (12 bytes), tag (16 bytes) and data`);
    }
    entries.set(name, { iv: entry.iv, tag: entry.tag, data: entry.data });
  }
  return entries;
}

/** Writes the whole vault to a temp file (0600, fsynced) and renames it over the old one, so readers and crashes see old or new, never half. */
async function writeVaultFile(filePath: string, entries: Map<string, EncryptedEntry>): Promise<void> {
  const doc: VaultFileV1 = { version: 1, entries: Object.fromEntries(entries) };
  const dir = path.dirname(filePath);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmpPath = tempPathFor(filePath);
  try {
    await writePrivateFile(tmpPath, `${JSON.stringify(doc, null, 2)}\n`);
    await fs.rename(tmpPath, filePath);
  } catch (err) {
    await fs.rm(tmpPath, { force: true });
    throw new VaultError('BACKEND_FAILURE', `vault file ${filePath} cannot be written: ${errorMessage(err)}`, { cause: err });
  }
  await syncDirectory(dir);
}

/** Creates `filePath` exclusively with mode 0600 and its contents flushed to disk. */
async function writePrivateFile(filePath: string, contents: string): Promise<void> {
  const handle = await fs.open(filePath, 'wx', 0o600);
  try {
    // The mode given to open() is filtered by the umask; chmod states it exactly.
    if (!IS_WINDOWS) await handle.chmod(0o600);
    await handle.writeFile(contents, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the rename itself durable. Best effort: not every platform/file system lets a directory be fsynced. */
async function syncDirectory(dir: string): Promise<void> {
  if (IS_WINDOWS) return;
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // durability nicety only
  }
}

function tempPathFor(target: string): string {
  return `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

function isBase64Of(value: unknown, bytes: number): value is string {
  return typeof value === 'string' && Buffer.from(value, 'base64').length === bytes;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
