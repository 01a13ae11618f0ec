/**
 * `omixa serve` flags (API.md §1: every setting is also a serve flag) and the gateway's log file in the data dir.
 * Flag parsing and its errors run in-process through `main()` (a refused setting fails before anything is opened);
 * the flags' effect and the log file are checked on the real `omixa serve` process.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCli, main } from '../../src-gateway/cli.js';
import { ConfigError, loadConfig } from '../../src-gateway/config.js';
import { logFilePath } from '../../src-gateway/log-file.js';
import { startAzureFake } from '../support/fakes/azure-openai.js';
import { children, serve, withTimeout } from '../support/omixa-process.js';
import { signingFetch } from '../support/signing.js';

/** API.md §1's variables and the serve flag of each. */
const SECTION_1_FLAGS: [variable: string, flag: string][] = [
  ['OMIXA_HOST', '--host'],
  ['OMIXA_PORT', '--port'],
  ['OMIXA_DATA_DIR', '--data-dir'],
  ['OMIXA_ADMIN_TOKEN', '--admin-token'],
  ['OMIXA_SECRET_BACKEND', '--secret-backend'],
  ['OMIXA_MASTER_KEY', '--master-key'],
  ['OMIXA_REQUIRE_SIGNATURE', '--require-signature'],
  ['AZURE_STREAM_CHUNK_BYTES', '--stream-chunk-bytes'],
  ['AZURE_STREAM_HEARTBEAT_SECONDS', '--stream-heartbeat-seconds'],
  ['AZURE_STREAM_FLUSH_PADDING_BYTES', '--stream-padding-bytes'],
];

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-serve-'));

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Runs the CLI in this process; resolves with its exit code and what it printed. */
async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: async () => '' });
  return { code, out, err };
}

describe('omixa serve flags', () => {
  it('has a flag for every API.md §1 variable, and its help names the variable', async () => {
    const serveCommand = buildCli().commands.find((c) => c.name() === 'serve')!;
    for (const [variable, flag] of SECTION_1_FLAGS) {
      const option = serveCommand.options.find((o) => o.long === flag);
      expect(option, flag).toBeDefined();
      expect(option!.description, flag).toContain(variable);
    }
    // Secrets given as flags are visible to other users of the machine: the help says so.
    for (const flag of ['--admin-token', '--master-key']) expect(serveCommand.options.find((o) => o.long === flag)!.description).toContain('prefer the variable');
    // A switch that a variable may have turned on can be turned off again.
    expect(serveCommand.options.map((o) => o.long)).toContain('--no-require-signature');
    const { code, out } = await run(['serve', '--help']);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('--stream-heartbeat-seconds');
  });

  it.each([
    ['--port', '70000', 'OMIXA_PORT'],
    ['--host', '', 'OMIXA_HOST'],
    ['--admin-token', 'too-short', 'OMIXA_ADMIN_TOKEN'],
    ['--secret-backend', 'vault', 'OMIXA_SECRET_BACKEND'],
    ['--master-key', 'c0ffee'.repeat(10) + 'zzzz', 'OMIXA_MASTER_KEY'],
    ['--stream-chunk-bytes', '0', 'AZURE_STREAM_CHUNK_BYTES'],
    ['--stream-heartbeat-seconds', 'soon', 'AZURE_STREAM_HEARTBEAT_SECONDS'],
    ['--stream-padding-bytes', '70000', 'AZURE_STREAM_FLUSH_PADDING_BYTES'],
  ])('%s %j is refused with the reason %s gets, in one line, before anything is written', async (flag, value, variable) => {
    const dataDir = path.join(scratch, `refused${flag}`);
    let fromEnv: ConfigError | undefined;
    try {
      loadConfig({ dataDir, env: { [variable]: value } });
    } catch (err) {
      fromEnv = err as ConfigError;
    }
    expect(fromEnv).toBeInstanceOf(ConfigError);
    expect(fromEnv!.message).toBe(`invalid ${variable}: ${fromEnv!.reason}`);

    const { code, out, err } = await run(['serve', flag, value, '--data-dir', dataDir]);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([`omixa: invalid ${flag}: ${fromEnv!.reason}`]);
    // A refused secret is never echoed back.
    if (value.length > 8) expect(err[0]).not.toContain(value);
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it(
    'flags override the environment; the log goes to stdout and to <data dir>/logs/omixa.log, without secrets',
    { timeout: 120_000 },
    async () => {
      const dataDir = path.join(scratch, 'served');
      const flagToken = `omx_admin_flag_${randomBytes(12).toString('hex')}`;
      const envToken = `omx_admin_env_${randomBytes(12).toString('hex')}`;
      const masterKey = randomBytes(32).toString('hex');
      const upstreamKey = 'azure-secret-1';
      const fake = await startAzureFake({ chunkDelayMs: 1 });
      try {
        // Each variable says something else than its flag: a keychain this machine may not have, no signatures…
        const env = {
          OMIXA_ADMIN_TOKEN: envToken,
          OMIXA_SECRET_BACKEND: 'keychain',
          OMIXA_REQUIRE_SIGNATURE: 'false',
          AZURE_STREAM_CHUNK_BYTES: '128',
          AZURE_STREAM_HEARTBEAT_SECONDS: '1',
          AZURE_STREAM_FLUSH_PADDING_BYTES: '4096',
          OMIXA_LOG_LEVEL: 'info',
        };
        const flags = ['--admin-token', flagToken, '--secret-backend', 'file', '--master-key', masterKey, '--require-signature', '--stream-chunk-bytes', '64', '--stream-heartbeat-seconds', '2.5', '--stream-padding-bytes', '0'];
        const server = await serve(dataDir, env, 60_000, 0, flags);

        const admin = async (method: string, urlPath: string, body?: unknown, token = flagToken) => {
          const res = await fetch(`${server.url}${urlPath}`, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(10_000),
          });
          return { status: res.status, body: (await res.json()) as any };
        };

        const settings = await admin('GET', '/admin/api/settings');
        expect(settings.status).toBe(200);
        expect(settings.body).toMatchObject({ secret_backend: 'file', require_signature: true, stream_chunk_bytes: 64, stream_heartbeat_seconds: 2.5, stream_flush_padding_bytes: 0 });
        expect((await admin('GET', '/admin/api/settings', undefined, envToken)).status).toBe(401);

        expect((await admin('POST', '/admin/api/deployments', { name: 'az-1', model: 'gpt-4o-mini', endpoint: fake.url, deployment: 'gpt-4o-mini', api_key: upstreamKey })).status).toBe(201);
        expect((await admin('POST', '/admin/api/accounts/default/top-up', { amount_micros: 1_000_000 })).status).toBe(200);
        const { body: created } = await admin('POST', '/admin/api/keys', { name: 'flags' });
        const clientKey = created.key as string;

        // --require-signature: an unsigned call is refused, a signed one answered.
        const unsigned = new OpenAI({ apiKey: clientKey, baseURL: `${server.url}/v1`, maxRetries: 0 });
        await expect(unsigned.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401, code: 'invalid_signature' });
        const signed = new OpenAI({ apiKey: clientKey, baseURL: `${server.url}/v1`, maxRetries: 0, fetch: signingFetch(clientKey) });
        const { data: completion, response } = await signed.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }).withResponse();
        expect(completion.choices[0]!.message.content).toBe('Echo: hi');
        const requestId = response.headers.get('x-omixa-request-id');

        server.child.kill('SIGTERM');
        expect(await withTimeout('the gateway to stop', server.exited, 20_000)).toMatchObject({ code: 0 });

        // --secret-backend file with --master-key: the vault is keyed by the flag's key, so no key file was made.
        expect(fs.existsSync(path.join(dataDir, 'vault.json'))).toBe(true);
        expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);

        const logFile = logFilePath(dataDir);
        expect(logFile).toBe(path.join(dataDir, 'logs', 'omixa.log'));
        const log = fs.readFileSync(logFile, 'utf8');
        const lines = log.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; reqId?: string });
        expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['omixa gateway listening', 'chat request finished']));
        const finished = lines.find((l) => l.msg === 'chat request finished')!;
        expect(finished.reqId).toBe(requestId);
        expect(server.output()).toContain('Admin token: the one given with --admin-token.');
        // stdout got the same lines, as it did before the file existed.
        expect(server.output()).toContain('"msg":"chat request finished"');
        for (const secret of [flagToken, envToken, masterKey, upstreamKey, clientKey]) {
          expect(log, 'a secret in the log file').not.toContain(secret);
          expect(server.output(), 'a secret on stdout').not.toContain(secret);
        }
      } finally {
        await fake.close();
      }
    },
  );
});
