import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTING_ENV } from '../../src-gateway/config.js';

/** Resolves a configuration from `env` alone (a fixed data dir keeps the per-OS default out of it). */
const configFrom = (env: Record<string, string>) => loadConfig({ dataDir: '/tmp/omixa-config-test', env });

function refusal(env: Record<string, string>): ConfigError {
  try {
    configFrom(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('defaults to API.md §1 values', () => {
    expect(configFrom({})).toMatchObject({ host: '127.0.0.1', port: 7878, secretBackend: 'auto', requireSignature: false, streamChunkBytes: 128, heartbeatSeconds: 1, paddingBytes: 8192 });
  });

  it('names the variable of a refused setting and says what it takes, in one line', () => {
    expect(refusal({ AZURE_STREAM_CHUNK_BYTES: 'many' }).message).toBe('invalid AZURE_STREAM_CHUNK_BYTES: must be a whole number from 1 to 1048576');
    expect(refusal({ AZURE_STREAM_HEARTBEAT_SECONDS: '0' }).message).toBe('invalid AZURE_STREAM_HEARTBEAT_SECONDS: must be a number from 0.05 to 600');
    expect(refusal({ OMIXA_SECRET_BACKEND: 'vault' }).message).toBe('invalid OMIXA_SECRET_BACKEND: must be auto, keychain or file');
    expect(refusal({ OMIXA_PORT: '-1' }).message).toBe('invalid OMIXA_PORT: must be a whole number from 0 to 65535');
    expect(refusal({ OMIXA_LOG_LEVEL: 'verbose' }).message).toMatch(/^invalid OMIXA_LOG_LEVEL: must be fatal, error, warn, info, debug, trace or silent$/);
    expect(refusal({ OMIXA_PORT: '1.5' }).setting).toBe('port');
  });

  it('never echoes a refused secret', () => {
    const masterKey = 'ab'.repeat(31) + 'zz';
    const adminToken = 'short-token';
    expect(refusal({ OMIXA_MASTER_KEY: masterKey }).message).toBe('invalid OMIXA_MASTER_KEY: must be 64 hex characters (32 bytes)');
    expect(refusal({ OMIXA_ADMIN_TOKEN: adminToken }).message).toBe('invalid OMIXA_ADMIN_TOKEN: must be at least 16 characters');
  });

  it('reads OMIXA_REQUIRE_SIGNATURE strictly: a typo is refused rather than taken as false', () => {
    for (const word of ['1', 'true', 'TRUE', 'yes', 'on']) expect(configFrom({ OMIXA_REQUIRE_SIGNATURE: word }).requireSignature, word).toBe(true);
    for (const word of ['0', 'false', 'no', 'off', '']) expect(configFrom({ OMIXA_REQUIRE_SIGNATURE: word }).requireSignature, word).toBe(false);
    expect(refusal({ OMIXA_REQUIRE_SIGNATURE: 'ture' }).message).toBe('invalid OMIXA_REQUIRE_SIGNATURE: must be true or false');
  });

  it('knows the variable of every setting', () => {
    const config = configFrom({});
    expect(Object.keys(SETTING_ENV).sort()).toEqual(expect.arrayContaining(Object.keys(config).sort()));
  });
});
