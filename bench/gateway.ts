/**
 * The Omixa gateway with billing on, in its own process: temp data dir, file vault, log level 'warn', one Azure
 * deployment on the upstream fake, one client key and a big top-up, all set up through the admin API.
 * Answers IPC `{type:'stats'}` with the wallet and the `requests` rows so run.ts can check that billing happened.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGateway } from '../src-gateway/server.js';
import { arg, onStop, tell } from './common.js';

const upstream = arg('upstream')!;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-bench-'));
const gateway = await createGateway({
  port: 0,
  dataDir,
  logLevel: arg('log-level', 'warn'),
  env: { OMIXA_SECRET_BACKEND: 'file' },
});
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

await admin('POST', '/admin/api/deployments', { name: 'bench-az', model: 'gpt-4o-mini', endpoint: upstream, deployment: 'gpt-4o-mini', api_key: 'azure-secret-1' });
const { key } = await admin('POST', '/admin/api/keys', { name: 'bench' });
// 1,000,000 USD: a hold is a few thousand micros, so the wallet never runs short during a run.
await admin('POST', '/admin/api/accounts/default/top-up', { amount_micros: 1_000_000_000_000 });

function stats() {
  const db = gateway.store.db;
  const wallet = gateway.store.wallet.get('default');
  const byStatus = db.prepare('SELECT status, COUNT(*) AS n, COALESCE(SUM(cost_micros), 0) AS cost FROM requests GROUP BY status').all() as { status: string; n: number; cost: number }[];
  const ledger = (db.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number }).n;
  return { type: 'stats' as const, balanceMicros: wallet.balanceMicros, lockedMicros: wallet.lockedMicros, byStatus, ledgerRows: ledger };
}

process.on('message', (m: any) => {
  if (m?.type === 'stats') tell(stats());
});
onStop(async () => {
  await gateway.stop(2000);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
tell({ type: 'ready', url, key });
