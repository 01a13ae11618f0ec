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

const bool = z
  .union([z.boolean(), z.string()])
  .transform((v) => (typeof v === 'boolean' ? v : ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase())));

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const configSchema = z.object({
  host: z.string().min(1),
  port: intFrom(0, 65535),
  dataDir: z.string().min(1),
  adminToken: z.string().min(16).optional(),
  secretBackend: z.enum(['auto', 'keychain', 'file']),
  masterKeyHex: z.string().regex(/^[0-9a-fA-F]{64}$/, 'OMIXA_MASTER_KEY must be 64 hex characters').optional(),
  requireSignature: bool,
  allowedHosts: z.array(z.string()),
  logLevel: z.string(),
  streamChunkBytes: intFrom(1, 1 << 20),
  heartbeatSeconds: z.coerce.number().min(0.05).max(600),
  paddingBytes: intFrom(0, 1 << 16),
  upstreamHeadersTimeoutMs: intFrom(100, 30 * 60_000),
  upstreamIdleTimeoutMs: intFrom(100, 30 * 60_000),
  /** How often the server looks for changes other processes (the CLI) committed to the database. */
  reloadIntervalMs: intFrom(20, 60_000),
  consoleDir: z.string().optional(),
});

export type GatewayConfig = z.infer<typeof configSchema>;

/** The per-OS application-data directory (`~/.config/omixa` on Linux). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'omixa');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'omixa');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'omixa');
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Resolves options + environment into a validated configuration, or throws a `ConfigError` naming the bad setting. */
export function loadConfig(options: GatewayOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const raw = {
    host: options.host ?? env.OMIXA_HOST ?? '127.0.0.1',
    port: options.port ?? env.OMIXA_PORT ?? 7878,
    dataDir: path.resolve(options.dataDir ?? env.OMIXA_DATA_DIR ?? defaultDataDir(env)),
    adminToken: env.OMIXA_ADMIN_TOKEN || undefined,
    secretBackend: env.OMIXA_SECRET_BACKEND || 'auto',
    masterKeyHex: env.OMIXA_MASTER_KEY || undefined,
    requireSignature: env.OMIXA_REQUIRE_SIGNATURE ?? false,
    allowedHosts: (env.OMIXA_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    logLevel: options.logLevel ?? env.OMIXA_LOG_LEVEL ?? 'info',
    streamChunkBytes: env.AZURE_STREAM_CHUNK_BYTES ?? 128,
    heartbeatSeconds: env.AZURE_STREAM_HEARTBEAT_SECONDS ?? 1,
    paddingBytes: env.AZURE_STREAM_FLUSH_PADDING_BYTES ?? 8192,
    upstreamHeadersTimeoutMs: env.OMIXA_UPSTREAM_TIMEOUT_MS ?? 120_000,
    upstreamIdleTimeoutMs: env.OMIXA_UPSTREAM_IDLE_TIMEOUT_MS ?? 300_000,
    reloadIntervalMs: env.OMIXA_RELOAD_INTERVAL_MS ?? 250,
    consoleDir: options.consoleDir ?? env.OMIXA_CONSOLE_DIR,
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid setting ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
