import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { createGateway, type Gateway } from '../../src-gateway/server.js';
import type { AzureFake } from './fakes/azure-openai.js';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dataDir: string;
  adminToken: string;
  /** An `openai` SDK client on `/v1` (or `/api/v1`) with this key. */
  openai(key: string, options?: { basePath?: '/v1' | '/api/v1'; maxRetries?: number }): OpenAI;
  /** Calls the admin API; throws on a non-2xx answer unless `expectError`. */
  admin<T = any>(method: string, urlPath: string, body?: unknown): Promise<T>;
  createKey(input?: Record<string, unknown>): Promise<{ key: string; id: string; account_id: string }>;
  addAzureDeployment(fake: AzureFake, input?: Record<string, unknown>): Promise<any>;
  topUp(micros: number, account?: string): Promise<void>;
  wallet(account?: string): Promise<{ balance_micros: number; locked_micros: number; available_micros: number }>;
  close(): Promise<void>;
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-test-'));
}

/** Starts the real gateway on a free loopback port with a temp data dir and the file vault. */
export async function startTestGateway(options: { env?: Record<string, string>; dataDir?: string } = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? tempDataDir();
  const gateway = await createGateway({
    port: 0,
    dataDir,
    logLevel: process.env.OMIXA_TEST_LOG ?? 'silent',
    env: { OMIXA_SECRET_BACKEND: 'file', OMIXA_RELOAD_INTERVAL_MS: '100', ...options.env },
  });
  const { url } = await gateway.start();
  const adminToken = await gateway.adminToken();

  async function admin(method: string, urlPath: string, body?: unknown) {
    const res = await fetch(`${url}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw Object.assign(new Error(`admin ${method} ${urlPath}: ${res.status} ${JSON.stringify(json)}`), { status: res.status, body: json });
    return json;
  }

  return {
    gateway,
    url,
    dataDir,
    adminToken,
    openai: (key, o = {}) => new OpenAI({ apiKey: key, baseURL: `${url}${o.basePath ?? '/v1'}`, maxRetries: o.maxRetries ?? 0 }),
    admin,
    createKey: (input = {}) => admin('POST', '/admin/api/keys', { name: 'test', ...input }),
    addAzureDeployment: (fake, input = {}) =>
      admin('POST', '/admin/api/deployments', { name: `az-${Math.random().toString(36).slice(2, 8)}`, model: 'gpt-4o-mini', endpoint: fake.url, deployment: 'gpt-4o-mini', api_key: 'azure-secret-1', ...input }),
    topUp: async (micros, account = 'default') => {
      await admin('POST', `/admin/api/accounts/${account}/top-up`, { amount_micros: micros });
    },
    wallet: async (account = 'default') => (await admin('GET', `/admin/api/accounts/${account}`)).wallet,
    close: async () => {
      await gateway.stop(1000);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
