/**
 * Starts the embedded gateway in the main process and stops it on quit.
 *
 * Startup failures end the app after one clear dialog: without its gateway the desktop app has nothing to show.
 */
import path from 'node:path';
import { defaultDataDir } from '../../src-gateway/config';
import { app, dialog } from 'electron';
import type { EmbeddedGateway, GatewayFactory } from './embedded-gateway';

export interface RunningGateway {
  gateway: EmbeddedGateway;
  /** Origin to reach the gateway at, e.g. `http://127.0.0.1:7878`. */
  url: string;
  dataDir: string;
}

export interface StartGatewayDeps {
  createGateway: GatewayFactory;
  env: NodeJS.ProcessEnv;
  /** `app.getPath('userData')`. */
  userDataPath: string;
  /** The Electron build of better-sqlite3, kept apart from the Node one in node_modules. */
  nativeBinding?: string;
}

const STARTUP_FAILURE_TITLE = 'Omixa cannot start';

/**
 * `OMIXA_DATA_DIR` when set (resolved against the working directory), else the same per-OS app-data dir the CLI uses
 * (`~/.config/omixa` on Linux), so `npx omixa …` and the desktop app manage one gateway.
 */
export function resolveDataDir(env: NodeJS.ProcessEnv, _userDataPath?: string): string {
  const override = env.OMIXA_DATA_DIR?.trim();
  return override ? path.resolve(override) : defaultDataDir(env);
}

export function portInUseMessage(port: number): string {
  return (
    `Port ${port} is already in use by another program, so the Omixa gateway cannot listen on it.\n\n` +
    'If another Omixa gateway is running (for example `omixa serve`), stop it; or set OMIXA_PORT to a free ' +
    'port. Then open Omixa again.'
  );
}

/**
 * The origin a client on this machine can connect to: a wildcard listen address (OMIXA_HOST=0.0.0.0 or ::)
 * is reached through loopback.
 */
export function connectableOrigin(listenUrl: string): string {
  const url = new URL(listenUrl);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  else if (url.hostname === '[::]') url.hostname = '[::1]';
  return url.origin;
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function failStartup(message: string): null {
  dialog.showErrorBox(STARTUP_FAILURE_TITLE, message);
  // Nothing is running yet, so there is nothing for before-quit to drain; the status tells a launcher we failed.
  app.exit(1);
  return null;
}

/**
 * Creates and starts the gateway. On failure shows a dialog, exits the app and resolves to `null`.
 */
export async function startEmbeddedGateway(deps: StartGatewayDeps): Promise<RunningGateway | null> {
  const dataDir = resolveDataDir(deps.env, deps.userDataPath);
  let gateway: EmbeddedGateway;
  try {
    gateway = await deps.createGateway({ dataDir, env: deps.env, ...(deps.nativeBinding ? { nativeBinding: deps.nativeBinding } : {}) });
  } catch (err) {
    return failStartup(`The gateway could not be set up with data directory ${dataDir}:\n\n${errorText(err)}`);
  }
  try {
    const { url } = await gateway.start();
    return { gateway, url: connectableOrigin(url), dataDir };
  } catch (err) {
    // Close the database the factory opened; a failure here changes nothing for the user.
    await gateway.stop().catch(() => undefined);
    if (errorCode(err) === 'EADDRINUSE') return failStartup(portInUseMessage(gateway.config.port));
    return failStartup(`The gateway failed to start:\n\n${errorText(err)}`);
  }
}

export interface GracefulQuitOptions {
  /** Upper bound on draining; a hung upstream stream must not keep the app from quitting. */
  timeoutMs?: number;
  onStopping?: () => void;
  log?: (message: string, err?: unknown) => void;
}

/**
 * Holds the first quit until `gateway.stop()` settles (or times out), then exits. Later quit requests while
 * draining are swallowed so that stop() runs once.
 */
export function installGracefulQuit(gateway: Pick<EmbeddedGateway, 'stop'>, options: GracefulQuitOptions = {}): void {
  const { timeoutMs = 10_000, onStopping, log = (message, err) => console.error(message, err) } = options;
  let state: 'running' | 'stopping' | 'stopped' = 'running';

  app.on('before-quit', (event) => {
    if (state === 'stopped') return;
    event.preventDefault();
    if (state === 'stopping') return;
    state = 'stopping';
    onStopping?.();

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        log(`gateway did not stop within ${timeoutMs} ms; exiting anyway`);
        resolve();
      }, timeoutMs);
    });
    Promise.race([gateway.stop(), timeout])
      .catch((err: unknown) => log('gateway stop failed', err))
      .finally(() => {
        clearTimeout(timer);
        state = 'stopped';
        app.exit(0);
      });
  });
}
