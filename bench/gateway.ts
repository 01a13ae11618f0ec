/**
 * The Omixa gateway with billing on, in its own process: temp data dir, file vault, log level 'warn', one Azure
 * deployment on the upstream fake (`--deployments N`: N of them), one client key and a big top-up, all set up through the admin API.
 * Answers IPC `{type:'stats'}` with the wallet and the `requests` rows so run.ts can check that billing happened.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import diagnostics from 'node:diagnostics_channel';
import { createGateway } from '../src-gateway/server.js';
import { arg, onStop, serveStats, tell } from './common.js';

const upstream = arg('upstream')!;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-bench-'));
const gateway = await createGateway({
  port: 0,
  dataDir,
  logLevel: arg('log-level', 'warn'),
  env: { OMIXA_SECRET_BACKEND: 'file' },
});
// Experiments only: `--pragma "wal_autocheckpoint = 8000"` (repeatable) applies SQLite pragmas to the gateway's connection.
process.argv.forEach((a, i) => a === '--pragma' && gateway.store.db.pragma(process.argv[i + 1]!));
const { url } = await gateway.start();
const adminToken = await gateway.adminToken();

async function admin(method: string, urlPath: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`admin ${method} ${urlPath}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// `--deployments N` (routing-overhead run): N deployments of the one model, each under its own name with its own vault
// secret (same value: the fake accepts one key), all on the same upstream fake.
const deploymentCount = Number(arg('deployments', '1'));
for (let i = 0; i < deploymentCount; i++) {
  await admin('POST', '/admin/api/deployments', { name: i === 0 ? 'bench-az' : `bench-az-${i}`, model: 'gpt-4o-mini', endpoint: upstream, deployment: 'gpt-4o-mini', api_key: 'azure-secret-1' });
}
const { key } = await admin('POST', '/admin/api/keys', { name: 'bench' });
const accountId = gateway.live.keyFor(key)!.accountId;
// 1,000,000 USD: a hold is a few thousand micros, so the wallet never runs short during a run.
await admin('POST', '/admin/api/accounts/default/top-up', { amount_micros: 1_000_000_000_000 });

function stats() {
  const db = gateway.store.db;
  const wallet = gateway.store.wallet.get(accountId);
  const byStatus = db.prepare('SELECT status, COUNT(*) AS n, COALESCE(SUM(cost_micros), 0) AS cost FROM requests GROUP BY status').all() as { status: string; n: number; cost: number }[];
  const ledger = (db.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number }).n;
  return { balanceMicros: wallet.balanceMicros, lockedMicros: wallet.lockedMicros, byStatus, ledgerRows: ledger };
}

/**
 * `--stages`: where a gateway call spends its time, from Node's and undici's diagnostics channels (no gateway change).
 * Meaningful at concurrency 1 only (events are paired in order). Reported in the stats as median µs per stage.
 */
const stages = { in: [] as number[], wait: [] as number[], body: [] as number[], out: [] as number[] };
if (process.argv.includes('--stages')) {
  let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  const now = () => performance.now() * 1000;
  diagnostics.subscribe('http.server.request.start', () => (t0 = now()));
  diagnostics.subscribe('undici:request:create', () => (t1 = now()));
  diagnostics.subscribe('undici:request:headers', () => (t2 = now()));
  diagnostics.subscribe('undici:request:trailers', () => (t3 = now()));
  diagnostics.subscribe('http.server.response.finish', () => {
    if (t0 && t1 > t0 && t2 > t1 && t3 >= t2) {
      stages.in.push(t1 - t0);
      stages.wait.push(t2 - t1);
      stages.body.push(t3 - t2);
      stages.out.push(now() - t3);
    }
    t0 = t1 = t2 = t3 = 0;
  });
}
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1]! : NaN);
const stageStats = () => {
  const out = { n: stages.in.length, inUs: median(stages.in), upstreamWaitUs: median(stages.wait), upstreamBodyUs: median(stages.body), outUs: median(stages.out) };
  for (const xs of Object.values(stages)) xs.length = 0;
  return out;
};

serveStats(() => ({ ...stats(), stages: stageStats() }));
onStop(async () => {
  await gateway.stop(2000);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
tell({ type: 'ready', url, key });
