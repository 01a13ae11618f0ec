import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

/**
 * The real `omixa` CLI as a child process, for tests that kill the gateway (SIGKILL) and start it again on the same
 * data dir. Children get the file vault and a short reload interval, and nothing inherited from OMIXA_*.
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'omixa.mjs');

export interface OmixaServer {
  child: ChildProcessWithoutNullStreams;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every child started here, so a test's `afterAll` can kill what is left. */
export const children = new Set<ChildProcessWithoutNullStreams>();

function childEnv(dataDir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('OMIXA_') && !name.startsWith('AZURE_STREAM_')) env[name] = value;
  return { ...env, OMIXA_DATA_DIR: dataDir, OMIXA_SECRET_BACKEND: 'file', OMIXA_LOG_LEVEL: 'info', OMIXA_RELOAD_INTERVAL_MS: '100', ...extra };
}

/**
 * `omixa serve --port P [...flags]` (0: any free port); resolves with the URL it prints, or rejects (with its output) when
 * it exits or takes too long.
 */
export function serve(dataDir: string, env: Record<string, string> = {}, timeoutMs = 60_000, port = 0, flags: string[] = []): Promise<OmixaServer> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--data-dir', dataDir, ...flags], { cwd: ROOT, env: childEnv(dataDir, env), stdio: 'pipe' });
  children.add(child);
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return new Promise<OmixaServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`omixa serve printed no URL within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /Omixa gateway on (http:\/\/[^\s]+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => out, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`omixa serve exited (${code ?? signal}) before printing its URL:\n${out}`));
    });
  });
}

/** Runs one `omixa` CLI command on the data dir and returns its output. */
export function cli(dataDir: string, args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], { cwd: ROOT, env: childEnv(dataDir, {}), stdio: 'pipe' });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stdin.end();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`omixa ${args.join(' ')} took more than ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILL: no graceful stop, nothing flushed beyond what SQLite already committed. */
export async function killHard(server: OmixaServer): Promise<void> {
  server.child.kill('SIGKILL');
  const { signal } = await withTimeout('the gateway to die', server.exited, 10_000);
  if (signal !== 'SIGKILL') throw new Error(`the gateway exited with ${signal} instead of dying by SIGKILL`);
}
