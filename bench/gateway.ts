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
import { CHAT_CHANNEL, type ChatMilestoneEvent } from '../src-gateway/tracing.js';
import { arg, onStop, serveStats, tell } from './common.js';
import { UPSTREAM_SECRET } from './bodies.js';

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
  await admin('POST', '/admin/api/deployments', { name: i === 0 ? 'bench-az' : `bench-az-${i}`, model: 'gpt-4o-mini', endpoint: upstream, deployment: 'gpt-4o-mini', api_key: UPSTREAM_SECRET });
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
 * Stages of sequential calls: where the time to a streamed call's first event goes, from Node's
 * `http.server.request.start`, the gateway's `omixa:chat` milestones and undici's request channels. Collected only
 * between IPC `{type:'stages', on:true}` and `{type:'stages', on:false}` (the latter answers the medians in µs), so the
 * throughput runs pay nothing. Meaningful at concurrency 1 only: events are paired with the call that started last.
 */
const STAGES = [
  ['validated', 'start', 'validated'],
  ['held', 'validated', 'held'],
  ['dispatched', 'held', 'create'],
  ['upstream', 'create', 'headers'],
  ['written', 'headers', 'streaming'],
] as const;
type Mark = 'start' | 'validated' | 'held' | 'create' | 'headers' | 'streaming';
let calls: Partial<Record<Mark, number>>[] = [];
let current: Partial<Record<Mark, number>> = {};
const onStart = () => calls.push((current = { start: performance.now() }));
const onMilestone = (message: unknown) => {
  const { milestone, at } = message as ChatMilestoneEvent;
  current[milestone] ??= at;
};
const onCreate = () => (current.create ??= performance.now());
const onHeaders = () => (current.headers ??= performance.now());
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1]! : NaN);
process.on('message', (m: any) => {
  if (m?.type !== 'stages') return;
  const channels = [['http.server.request.start', onStart], [CHAT_CHANNEL, onMilestone], ['undici:request:create', onCreate], ['undici:request:headers', onHeaders]] as const;
  if (m.on) {
    calls = [];
    for (const [name, fn] of channels) diagnostics.subscribe(name, fn);
    return tell({ type: 'stages', on: true });
  }
  for (const [name, fn] of channels) diagnostics.unsubscribe(name, fn);
  const complete = calls.filter((c) => STAGES.every(([, from, to]) => c[from] !== undefined && c[to] !== undefined));
  const medians = Object.fromEntries(STAGES.map(([name, from, to]) => [name, median(complete.map((c) => (c[to]! - c[from]!) * 1000))]));
  tell({ type: 'stages', on: false, n: complete.length, ...medians, ownUs: median(complete.map((c) => (c.create! - c.start! + (c.streaming! - c.headers!)) * 1000)) });
});

serveStats(stats);
onStop(async () => {
  await gateway.stop(2000);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
tell({ type: 'ready', url, key });
