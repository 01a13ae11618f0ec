/**
 * The servers behind the browser e2e: an Azure OpenAI fake (in this process) and the real gateway started the way a
 * user starts it (`node bin/omixa.mjs serve`), on free loopback ports with a throwaway data directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startAzureFake, type AzureFake } from './fakes/azure-openai.js';

export const E2E_ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
/** Deployments the fake knows (chat and image). */
export const FAKE_DEPLOYMENTS = ['gpt-4o-mini', 'gpt-image-1'];
const ROOT = path.resolve(import.meta.dirname, '../..');

export interface E2eEnvironment {
  gatewayUrl: string;
  fakeUrl: string;
  adminToken: string;
  dataDir: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Newest modification time under `dir` (files only), 0 when it does not exist. */
function newestMtime(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds the renderer when `out/renderer` is missing or older than its sources. */
export function ensureRendererBuilt(): void {
  const index = path.join(ROOT, 'out/renderer/index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  if (built > 0 && built >= newestMtime(path.join(ROOT, 'src-renderer'))) return;
  const result = spawnSync('npx', ['electron-vite', 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`electron-vite build failed (exit ${result.status})`);
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with code ${child.exitCode} before answering`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the gateway did not answer ${url}/health within ${timeoutMs} ms`);
}

/**
 * Streamed answers come word by word every `chunkDelayMs` (80 ms by default), so a browser can see text grow.
 * A message mentioning "weather" gets a tool call instead of text.
 */
export async function startE2eEnvironment(options: { logFile: string; chunkDelayMs?: number }): Promise<E2eEnvironment> {
  const fake: AzureFake = await startAzureFake({
    chunkDelayMs: options.chunkDelayMs ?? 80,
    deployments: FAKE_DEPLOYMENTS,
    reply: (req) => {
      const last = Array.isArray(req.body?.messages) ? req.body.messages.at(-1) : undefined;
      if (typeof last?.content === 'string' && /weather/i.test(last.content) && Array.isArray(req.body?.tools)) {
        return { content: '', toolCalls: [{ name: 'get_weather', arguments: JSON.stringify({ city: 'Paris', unit: 'celsius' }) }] };
      }
      return undefined;
    },
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-e2e-'));
  const port = await freePort();
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.openSync(options.logFile, 'w');
  const child = spawn(process.execPath, ['bin/omixa.mjs', 'serve', '--port', String(port), '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, OMIXA_SECRET_BACKEND: 'file', OMIXA_ADMIN_TOKEN: E2E_ADMIN_TOKEN, OMIXA_RELOAD_INTERVAL_MS: '100', OMIXA_LOG_LEVEL: 'warn' },
    stdio: ['ignore', log, log],
  });
  const gatewayUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(gatewayUrl, child, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    await fake.close();
    throw err;
  }
  return {
    gatewayUrl,
    fakeUrl: fake.url,
    adminToken: E2E_ADMIN_TOKEN,
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      fs.closeSync(log);
      await fake.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
