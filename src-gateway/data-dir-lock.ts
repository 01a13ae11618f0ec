import fs from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'gateway.lock';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  readonly code = 'EDATADIRLOCKED';
  constructor(
    readonly pid: number,
    dataDir: string,
  ) {
    super(`another Omixa gateway (pid ${pid}) is already serving ${dataDir}; stop it first`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One serving gateway per data dir: at start it recovers the holds of requests left pending by a previous run, which
 * would wrongly release the live holds of a second gateway serving the same dir. The lock is a file holding the owner's
 * pid; a lock whose process is gone (a crash) is taken over. The CLI's other commands do not lock: they only make
 * transactional changes the server picks up.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  const file = path.join(dataDir, LOCK_FILE);
  const token = `${process.pid}:${Date.now()}:${Math.random()}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, token }), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          const current = JSON.parse(fs.readFileSync(file, 'utf8')) as { token?: string };
          if (current.token === token) fs.rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner: number | undefined;
      try {
        owner = (JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: number }).pid;
      } catch {
        // unreadable or half-written: treat as stale
      }
      if (owner !== undefined && alive(owner)) throw new DataDirLockedError(owner, dataDir);
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}
