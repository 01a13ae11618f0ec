import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** Options a caller can pass to `createGateway`; each falls back to the environment, then to the default. */
export interface GatewayOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  logLevel?: string;
  /** Directory of the built renderer, served as the web console at `/`. */
  consoleDir?: string;
  /** better-sqlite3 native binding to load instead of the one in node_modules (the Electron build). */
  nativeBinding?: string;
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off', ''];

// A typo must not silently turn a security switch off: words other than these are refused.
const bool = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'boolean') return v;
  const word = v.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (!FALSE_WORDS.includes(word)) ctx.addIssue({ code: 'custom', message: 'must be true or false' });
  return false;
});

const number = (min: number, max: number, whole: boolean) => {
  const message = `must be a ${whole ? 'whole ' : ''}number from ${min} to ${max}`;
  const base = z.coerce.number({ error: message }).min(min, { error: message }).max(max, { error: message });
  return whole ? base.int({ error: message }) : base;
};
const intFrom = (min: number, max: number) => number(min, max, true);

const configSchema = z.object({
  host: z.string().min(1, { error: 'must not be empty' }),
  port: intFrom(0, 65535),
  dataDir: z.string().min(1),
  adminToken: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  secretBackend: z.enum(['auto', 'keychain', 'file'], { error: 'must be auto, keychain or file' }),
  masterKeyHex: z.string().regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 64 hex characters (32 bytes)' }).optional(),
  requireSignature: bool,
  allowedHosts: z.array(z.string()),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be fatal, error, warn, info, debug, trace or silent' }),
  streamChunkBytes: intFrom(1, 1 << 20),
  heartbeatSeconds: number(0.05, 600, false),
  paddingBytes: intFrom(0, 1 << 16),
  upstreamHeadersTimeoutMs: intFrom(100, 30 * 60_000),
  upstreamIdleTimeoutMs: intFrom(100, 30 * 60_000),
  /** How often the server looks for changes other processes (the CLI) committed to the database. */
  reloadIntervalMs: intFrom(20, 60_000),
  consoleDir: z.string().optional(),
});

export type GatewayConfig = z.infer<typeof configSchema>;

/**
 * The environment variable behind each setting (API.md §1 and the extras the README lists). `omixa serve` flags set
 * the same variables, so a flag and its variable go through the same validation.
 */
export const SETTING_ENV = {
  host: 'OMIXA_HOST',
  port: 'OMIXA_PORT',
  dataDir: 'OMIXA_DATA_DIR',
  adminToken: 'OMIXA_ADMIN_TOKEN',
  secretBackend: 'OMIXA_SECRET_BACKEND',
  masterKeyHex: 'OMIXA_MASTER_KEY',
  requireSignature: 'OMIXA_REQUIRE_SIGNATURE',
  allowedHosts: 'OMIXA_ALLOWED_HOSTS',
  logLevel: 'OMIXA_LOG_LEVEL',
  streamChunkBytes: 'AZURE_STREAM_CHUNK_BYTES',
  heartbeatSeconds: 'AZURE_STREAM_HEARTBEAT_SECONDS',
  paddingBytes: 'AZURE_STREAM_FLUSH_PADDING_BYTES',
  upstreamHeadersTimeoutMs: 'OMIXA_UPSTREAM_TIMEOUT_MS',
  upstreamIdleTimeoutMs: 'OMIXA_UPSTREAM_IDLE_TIMEOUT_MS',
  reloadIntervalMs: 'OMIXA_RELOAD_INTERVAL_MS',
  consoleDir: 'OMIXA_CONSOLE_DIR',
} as const satisfies Record<keyof GatewayConfig, string>;

export type SettingName = keyof typeof SETTING_ENV;

/** The per-OS application-data directory (`~/.config/omixa` on Linux). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'omixa');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'omixa');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'omixa');
}

/** A setting that does not validate. The message names its environment variable and never echoes the value (it may be a secret). */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly setting: SettingName | undefined,
    readonly reason: string,
  ) {
    super(`invalid ${setting ? SETTING_ENV[setting] : 'setting'}: ${reason}`);
  }
}

/** Resolves options + environment into a validated configuration, or throws a `ConfigError` naming the bad setting. */
export function loadConfig(options: GatewayOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const from = (name: SettingName): string | undefined => env[SETTING_ENV[name]];
  const raw = {
    host: options.host ?? from('host') ?? '127.0.0.1',
    port: options.port ?? from('port') ?? 7878,
    dataDir: path.resolve(options.dataDir ?? from('dataDir') ?? defaultDataDir(env)),
    adminToken: from('adminToken') || undefined,
    secretBackend: from('secretBackend') || 'auto',
    masterKeyHex: from('masterKeyHex') || undefined,
    requireSignature: from('requireSignature') ?? false,
    allowedHosts: (from('allowedHosts') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    logLevel: options.logLevel ?? from('logLevel') ?? 'info',
    streamChunkBytes: from('streamChunkBytes') ?? 128,
    heartbeatSeconds: from('heartbeatSeconds') ?? 1,
    paddingBytes: from('paddingBytes') ?? 8192,
    upstreamHeadersTimeoutMs: from('upstreamHeadersTimeoutMs') ?? 120_000,
    upstreamIdleTimeoutMs: from('upstreamIdleTimeoutMs') ?? 300_000,
    reloadIntervalMs: from('reloadIntervalMs') ?? 250,
    consoleDir: options.consoleDir ?? from('consoleDir'),
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const setting = issue?.path[0];
    throw new ConfigError(typeof setting === 'string' && setting in SETTING_ENV ? (setting as SettingName) : undefined, issue?.message ?? 'invalid');
  }
  return parsed.data;
}
