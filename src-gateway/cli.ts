import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, loadConfig, SETTING_ENV, type GatewayConfig, type SettingName } from './config.js';
import { openStore, type Store } from './db/store.js';
import { createVault } from './vault/index.js';
import type { SecretVault } from './vault/types.js';
import { createControlPlane, viewDeployment, type ControlPlane } from './control-plane.js';
import { MODALITIES } from './db/catalog-repository.js';
import { isGatewayError } from './errors.js';
import { microsToUsd, usdToMicros } from './domain/pricing.js';
import { createUpstreamClient } from './providers/http.js';
import { testDeployment } from './pipeline/deployment-test.js';

/**
 * The `omixa` CLI. Every command works on the data directory directly (the same SQLite file and vault as a running
 * server, which picks the changes up within a second). Failures print one line on stderr and exit non-zero.
 */

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  stdin: () => Promise<string>;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

class CliError extends Error {}

interface Session {
  config: GatewayConfig;
  store: Store;
  vault: SecretVault;
  control: ControlPlane;
}

async function withSession<T>(dataDir: string | undefined, run: (s: Session) => Promise<T> | T): Promise<T> {
  const config = loadConfig({ dataDir });
  const store = openStore(config.dataDir);
  try {
    const vault = await createVault({ backend: config.secretBackend, dataDir: config.dataDir, namespace: store.instanceId, masterKeyHex: config.masterKeyHex });
    return await run({ config, store, vault, control: createControlPlane(store, vault) });
  } finally {
    store.close();
  }
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

const int = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new CliError(`${name} must be a non-negative integer`);
  return Number(value);
};

const usd = (value: string) => {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new CliError(`"${value}" is not a USD amount like 0.15`);
  return value;
};

/** `omixa serve` flags (commander's camelCase names) and the setting each one sets: every API.md §1 variable has one. */
const SERVE_FLAGS = {
  host: 'host',
  port: 'port',
  dataDir: 'dataDir',
  adminToken: 'adminToken',
  secretBackend: 'secretBackend',
  masterKey: 'masterKeyHex',
  requireSignature: 'requireSignature',
  streamChunkBytes: 'streamChunkBytes',
  streamHeartbeatSeconds: 'heartbeatSeconds',
  streamPaddingBytes: 'paddingBytes',
} as const satisfies Record<string, SettingName>;

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The environment with the given flags written over their variables, so flags and variables share one validation. */
function serveEnv(flags: Partial<Record<keyof typeof SERVE_FLAGS, string | boolean>>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [flag, setting] of Object.entries(SERVE_FLAGS) as [keyof typeof SERVE_FLAGS, SettingName][]) {
    const value = flags[flag];
    if (value !== undefined) env[SETTING_ENV[setting]] = String(value);
  }
  return env;
}

/** A setting refused because of a flag is reported under the flag's name, with the reason its variable would get. */
function flagConfigError(err: unknown, flags: Partial<Record<keyof typeof SERVE_FLAGS, unknown>>): unknown {
  if (!(err instanceof ConfigError)) return err;
  const flag = (Object.keys(SERVE_FLAGS) as (keyof typeof SERVE_FLAGS)[]).find((f) => SERVE_FLAGS[f] === err.setting && flags[f] !== undefined);
  return flag ? new CliError(`invalid ${flagName(flag)}: ${err.reason}`) : err;
}

/** Builds the command tree; exported for tests. */
export function buildCli(io: Io = defaultIo): Command {
  const program = new Command('omixa')
    .description('Omixa gateway: serve it, and manage accounts, keys, deployments, prices and wallets')
    .option('--data-dir <dir>', 'data directory (default: OMIXA_DATA_DIR or the per-user app-data dir)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const dataDir = () => program.opts<{ dataDir?: string }>().dataDir;
  const print = (json: boolean | undefined, value: unknown, text: () => string) => io.out(json ? JSON.stringify(value, null, 2) : text());

  program
    .command('serve')
    .description('run the gateway and the web console; each flag overrides its environment variable')
    .option('--host <host>', 'bind address (OMIXA_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port (OMIXA_PORT, default 7878; 0 = any free port)')
    .option('--data-dir <dir>', 'data directory (OMIXA_DATA_DIR)')
    .option('--admin-token <token>', 'admin bearer token, 16+ characters (OMIXA_ADMIN_TOKEN); flags show in `ps`: prefer the variable')
    .option('--secret-backend <backend>', 'auto, keychain or file (OMIXA_SECRET_BACKEND, default auto)')
    .option('--master-key <hex>', "the file backend's key, 64 hex characters (OMIXA_MASTER_KEY); flags show in `ps`: prefer the variable")
    .option('--require-signature', 'require HMAC signatures on every client call (OMIXA_REQUIRE_SIGNATURE)')
    .option('--no-require-signature', 'do not require them, whatever OMIXA_REQUIRE_SIGNATURE says')
    .option('--stream-chunk-bytes <n>', 'max bytes held before a flush when re-framing a stream (AZURE_STREAM_CHUNK_BYTES, default 128)')
    .option('--stream-heartbeat-seconds <s>', 'SSE heartbeat while the upstream is silent (AZURE_STREAM_HEARTBEAT_SECONDS, default 1)')
    .option('--stream-padding-bytes <n>', 'size of the first SSE comment, 0 = off (AZURE_STREAM_FLUSH_PADDING_BYTES, default 8192)')
    .action(async (opts: Partial<Record<keyof typeof SERVE_FLAGS, string | boolean>>) => {
      // Loaded here only: the other commands start twice as fast without the whole server.
      const { createGateway } = await import('./server.js');
      const consoleDir = path.resolve(import.meta.dirname, '..', 'out', 'renderer');
      const given = { ...opts, dataDir: opts.dataDir ?? dataDir() };
      const gateway = await createGateway({ env: serveEnv(given), consoleDir: fs.existsSync(consoleDir) ? consoleDir : undefined }).catch((err: unknown) => {
        throw flagConfigError(err, given);
      });
      let url: string;
      try {
        ({ url } = await gateway.start());
      } catch (err) {
        await gateway.stop();
        if ((err as { code?: string }).code === 'EADDRINUSE') throw new CliError(`port ${gateway.config.port} is already in use; pick another with --port`);
        if ((err as { code?: string }).code === 'EDATADIRLOCKED') throw new CliError((err as Error).message);
        throw err;
      }
      io.out(`Omixa gateway on ${url}  (OpenAI base URL: ${url}/v1, console: ${url}/, data: ${gateway.config.dataDir})`);
      io.out(
        given.adminToken !== undefined ? 'Admin token: the one given with --admin-token.'
        : gateway.config.adminToken ? 'Admin token: the one in OMIXA_ADMIN_TOKEN.'
        : 'Admin token: run `omixa admin-token` to show it.',
      );
      await new Promise<void>((resolve) => {
        const stop = () => void gateway.stop().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  const accounts = program.command('accounts').description('team members or projects, each with one wallet');
  accounts
    .command('create <name>')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }) =>
      withSession(dataDir(), ({ control }) => {
        const account = control.createAccount(name);
        print(opts.json, account, () => `created account ${account.name} (${account.id})`);
      }),
    );
  accounts
    .command('list')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withSession(dataDir(), ({ store }) => {
        const rows = store.accounts.list().map((a) => {
          const w = store.wallet.get(a.id);
          return { id: a.id, name: a.name, balance_usd: microsToUsd(w.balanceMicros), locked_usd: microsToUsd(w.lockedMicros), balance_micros: w.balanceMicros, locked_micros: w.lockedMicros };
        });
        print(opts.json, rows, () => table(rows, ['id', 'name', 'balance_usd', 'locked_usd']));
      }),
    );

  const keys = program.command('keys').description('client API keys');
  keys
    .command('create')
    .requiredOption('--name <name>', 'a label for the key')
    .option('--account <account>', 'account name or id (default: default)')
    .option('--rpm <n>', 'requests per minute', int('--rpm'))
    .option('--tpm <n>', 'tokens per minute', int('--tpm'))
    .option('--models <list>', 'comma-separated models the key may use')
    .option('--require-signature', 'require HMAC signatures from this key')
    .option('--json', 'print JSON')
    .action((opts: { name: string; account?: string; rpm?: number; tpm?: number; models?: string; requireSignature?: boolean; json?: boolean }) =>
      withSession(dataDir(), ({ control }) => {
        const models = opts.models?.split(',').map((m) => m.trim()).filter(Boolean);
        const { key, record } = control.createKey({ name: opts.name, account: opts.account, rpm: opts.rpm, tpm: opts.tpm, models, requireSignature: opts.requireSignature });
        print(opts.json, { ...record, key }, () => `${key}\n(key ${record.id} "${record.name}": shown once, store it now)`);
      }),
    );
  keys
    .command('list')
    .option('--account <account>', 'only this account')
    .option('--json', 'print JSON')
    .action((opts: { account?: string; json?: boolean }) =>
      withSession(dataDir(), ({ store, control }) => {
        const rows = store.keys.list(opts.account ? control.account(opts.account).id : undefined);
        print(opts.json, rows, () =>
          table(
            rows.map((k) => ({ ...k, models: k.models?.join(',') ?? 'all', state: k.revokedAt ? 'revoked' : 'active' })),
            ['id', 'name', 'prefix', 'accountId', 'rpm', 'tpm', 'models', 'state'],
          ),
        );
      }),
    );
  keys
    .command('revoke <id>')
    .action((id: string) =>
      withSession(dataDir(), ({ control }) => {
        control.revokeKey(id);
        io.out(`revoked ${id}`);
      }),
    );

  const deployments = program.command('deployments').description('upstream deployments the gateway routes to');
  deployments
    .command('add <model> <name> <endpoint> <deployment> <api_key>')
    .description('add a deployment; API_KEY "-" reads the secret from standard input')
    .addOption(new Option('--provider <provider>', 'upstream kind').default('azure'))
    .option('--api-version <v>', 'Azure api-version, or v1 for the /openai/v1 path')
    .option('--region <region>')
    .option('--rpm <n>', 'requests per minute (0 = unlimited)', int('--rpm'))
    .option('--tpm <n>', 'tokens per minute (0 = unlimited)', int('--tpm'))
    .option('--hourly-tokens <n>', 'tokens per hour (0 = unlimited)', int('--hourly-tokens'))
    .option('--weight <n>', 'share within its priority', int('--weight'))
    .option('--priority <n>', 'lower is tried first', int('--priority'))
    .option('--fast-mode', 'send service_tier=priority (Azure priority processing)')
    .option('--modality <modality>', `what a model not in the catalog does: ${MODALITIES.join(', ')} (default chat); a catalog model keeps its own`)
    .option('--json', 'print JSON')
    .action(async (model: string, name: string, endpoint: string, deployment: string, apiKeyArg: string, opts: Record<string, string | number | boolean | undefined>) => {
      const apiKey = apiKeyArg === '-' ? (await io.stdin()).trim() : apiKeyArg;
      if (!apiKey) throw new CliError('the API key read from standard input is empty');
      await withSession(dataDir(), async ({ control }) => {
        const result = await control.addDeployment({
          name,
          model,
          endpoint,
          deployment,
          apiKey,
          provider: opts.provider as string,
          apiVersion: opts.apiVersion as string | undefined,
          region: opts.region as string | undefined,
          rpm: opts.rpm as number | undefined,
          tpm: opts.tpm as number | undefined,
          hourlyTokens: opts.hourlyTokens as number | undefined,
          weight: opts.weight as number | undefined,
          priority: opts.priority as number | undefined,
          fastMode: opts.fastMode === true,
          modality: opts.modality as string | undefined,
        });
        print(opts.json as boolean | undefined, result, () =>
          [
            `added deployment ${name} (${result.deployment.provider}) for ${model}; secret ${result.deployment.secret} stored in the vault`,
            ...(result.addedUnpricedModel
              ? [`note: ${model} is not in the catalog; added unpriced (cost 0) with modality ${result.modality} — set a price with \`omixa models set-price ${model}\``]
              : []),
          ].join('\n'),
        );
      });
    });
  deployments
    .command('list')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withSession(dataDir(), ({ store }) => {
        const rows = store.deployments.list().map(viewDeployment);
        print(opts.json, rows, () =>
          table(
            rows.map((d) => ({ ...d, state: d.enabled ? 'enabled' : 'disabled', fast: d.fastMode ? 'yes' : 'no' })),
            ['name', 'provider', 'model', 'deployment', 'endpoint', 'secret', 'rpm', 'tpm', 'hourlyTokens', 'weight', 'priority', 'fast', 'state'],
          ),
        );
      }),
    );
  deployments.command('remove <name>').action((name: string) =>
    withSession(dataDir(), async ({ control }) => {
      await control.removeDeployment(name);
      io.out(`removed deployment ${name} and its secret`);
    }),
  );
  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    deployments.command(`${verb} <name>`).action((name: string) =>
      withSession(dataDir(), async ({ control }) => {
        await control.updateDeployment(name, { enabled });
        io.out(`${verb}d deployment ${name}`);
      }),
    );
  }
  deployments
    .command('test <name>')
    .description('make a real minimal call and report latency or the upstream error')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }) =>
      withSession(dataDir(), async ({ control, vault, config }) => {
        const deployment = control.deployment(name);
        const upstream = createUpstreamClient({ headersTimeoutMs: config.upstreamHeadersTimeoutMs, bodyTimeoutMs: config.upstreamIdleTimeoutMs });
        try {
          const result = await testDeployment(deployment, await vault.get(deployment.secretRef), upstream);
          if (opts.json) print(true, result, () => '');
          // A failed test is a failure like any other: the one-line reason on stderr, a non-zero exit (API.md §9).
          if (!result.ok) throw new CliError(`deployment ${name} failed: ${result.error}`);
          if (!opts.json) io.out(`ok: ${name} answered in ${result.latency_ms} ms`);
        } finally {
          await upstream.close();
        }
      }),
    );

  const models = program.command('models').description('the catalog and its prices');
  models
    .command('list')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withSession(dataDir(), ({ store }) => {
        const rows = store.catalog.list();
        const usdOrDash = (m: number | null) => (m === null ? null : microsToUsd(m));
        print(opts.json, rows, () =>
          table(
            rows.map((m) => ({ id: m.id, modality: m.modality, input: usdOrDash(m.price.inputPerMtokMicros), cached: usdOrDash(m.price.cachedInputPerMtokMicros), output: usdOrDash(m.price.outputPerMtokMicros), per_image: usdOrDash(m.price.perImageMicros), per_second: usdOrDash(m.price.perSecondMicros), priced: m.priced ? 'yes' : 'no' })),
            ['id', 'modality', 'input', 'cached', 'output', 'per_image', 'per_second', 'priced'],
          ),
        );
      }),
    );
  models
    .command('set-price <model>')
    .description('prices in USD: per million tokens, per image, per second, per 1k characters')
    .option('--input <usd>', 'input per MTok', usd)
    .option('--cached-input <usd>', 'cached input per MTok', usd)
    .option('--cache-write <usd>', 'cache write per MTok', usd)
    .option('--output <usd>', 'output per MTok', usd)
    .option('--per-image <usd>', 'per image', usd)
    .option('--per-second <usd>', 'per second of audio/video', usd)
    .option('--per-1k-chars <usd>', 'per 1k characters', usd)
    .option('--json', 'print JSON')
    .action((model: string, opts: Record<string, string | boolean | undefined>) =>
      withSession(dataDir(), ({ control }) => {
        const prices = { input: opts.input, cachedInput: opts.cachedInput, cacheWrite: opts.cacheWrite, output: opts.output, perImage: opts.perImage, perSecond: opts.perSecond, per1kChars: opts.per1kChars } as Record<string, string | undefined>;
        if (Object.values(prices).every((v) => v === undefined)) throw new CliError('give at least one price, e.g. --input 0.15 --output 0.60');
        const updated = control.setPrice(model, prices);
        print(opts.json as boolean | undefined, updated, () => `updated prices of ${model}`);
      }),
    );

  const wallet = program.command('wallet').description('balances and top-ups');
  wallet
    .command('top-up')
    .requiredOption('--account <account>', 'account name or id')
    .requiredOption('--amount <usd>', 'amount in USD', usd)
    .option('--json', 'print JSON')
    .action((opts: { account: string; amount: string; json?: boolean }) =>
      withSession(dataDir(), ({ control }) => {
        // Wallets count whole micro-USD: the amount is rounded to 6 decimals, and what is printed is what was credited.
        const micros = usdToMicros(opts.amount);
        if (micros <= 0) throw new CliError(Number(opts.amount) > 0 ? `--amount ${opts.amount} rounds to 0 USD; the smallest top-up is 0.000001 USD` : '--amount must be more than 0 USD');
        const { account, wallet: state } = control.topUp(opts.account, micros, 'cli top-up');
        const credited = microsToUsd(micros);
        const rounded = /\.\d{6}0*[1-9]/.test(opts.amount) ? ` (${opts.amount} rounded to the micro-dollar)` : '';
        print(opts.json, { account: account.id, credited_micros: micros, ...state }, () => `topped up ${account.name} by $${credited}${rounded}; balance $${microsToUsd(state.balanceMicros)}`);
      }),
    );
  wallet
    .command('show')
    .option('--account <account>', 'account name or id (default: default)')
    .option('--json', 'print JSON')
    .action((opts: { account?: string; json?: boolean }) =>
      withSession(dataDir(), ({ control, store }) => {
        const account = control.account(opts.account);
        const w = store.wallet.get(account.id);
        const view = { account: account.id, name: account.name, currency: 'USD', balance_micros: w.balanceMicros, locked_micros: w.lockedMicros, available_micros: w.balanceMicros - w.lockedMicros };
        print(opts.json, view, () => `${account.name}: balance $${microsToUsd(w.balanceMicros)}, locked $${microsToUsd(w.lockedMicros)}, available $${microsToUsd(view.available_micros)}`);
      }),
    );

  program
    .command('admin-token')
    .description('print the admin token (creating it if needed)')
    .option('--rotate', 'replace it with a new one')
    .action((opts: { rotate?: boolean }) =>
      withSession(dataDir(), async ({ control, config, store }) => {
        if (opts.rotate && config.adminToken) throw new CliError('OMIXA_ADMIN_TOKEN is set in the environment; change it there');
        const token = opts.rotate ? await control.rotateAdminToken() : await control.adminToken(config.adminToken);
        if (opts.rotate) store.settings.set('admin_token_version', String(Date.now()));
        io.out(token);
      }),
    );

  program
    .command('doctor')
    .description('check the database, the ledger invariants, the vault and each deployment')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withSession(dataDir(), async ({ store, vault, config }) => {
        const integrity = store.db.pragma('quick_check', { simple: true });
        const violations = store.wallet.allViolations();
        const upstream = createUpstreamClient({ headersTimeoutMs: 15_000, bodyTimeoutMs: 15_000 });
        const checks: { check: string; ok: boolean; detail: string }[] = [
          { check: 'database', ok: integrity === 'ok', detail: `${path.join(config.dataDir, 'omixa.db')}: ${String(integrity)}` },
          { check: 'ledger', ok: Object.keys(violations).length === 0, detail: Object.keys(violations).length === 0 ? 'invariants hold for every wallet' : JSON.stringify(violations) },
        ];
        try {
          const names = await vault.list();
          checks.push({ check: 'vault', ok: true, detail: `${vault.backend} backend, ${names.length} secrets` });
        } catch (err) {
          checks.push({ check: 'vault', ok: false, detail: (err as Error).message });
        }
        try {
          for (const d of store.deployments.list()) {
            const result = await testDeployment(d, await vault.get(d.secretRef), upstream);
            checks.push({ check: `deployment ${d.name}`, ok: result.ok, detail: result.ok ? `answered in ${result.latency_ms} ms` : (result.error ?? 'failed') });
          }
        } finally {
          await upstream.close();
        }
        print(opts.json, checks, () => checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.check}: ${c.detail}`).join('\n'));
        // The report stays on stdout; the failure is also one line on stderr with a non-zero exit, like every command's.
        const failed = checks.filter((c) => !c.ok).map((c) => c.check);
        if (failed.length > 0) throw new CliError(`doctor: ${failed.length} of ${checks.length} checks failed: ${failed.join(', ')}`);
      }),
    );

  program
    .command('backup <file>')
    .description('write a consistent copy of the database (secrets stay in the vault)')
    .action((file: string) =>
      withSession(dataDir(), async ({ store }) => {
        const target = path.resolve(file);
        if (fs.existsSync(target)) throw new CliError(`${target} already exists`);
        await store.db.backup(target);
        io.out(`backed up to ${target}`);
      }),
    );

  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const program = buildCli(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const message = isGatewayError(err) || err instanceof CliError || err instanceof RangeError ? err.message : `${(err as Error).message ?? String(err)}`;
    io.err(`omixa: ${message.split('\n')[0]}`);
    return 1;
  }
}
