/**
 * Electron main entry: wires single instance, gateway, renderer serving, IPC, tray and window together.
 * The logic lives in the modules it imports; this file only decides the order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, session } from 'electron';
import { buildContentSecurityPolicy, installContentSecurityPolicy } from './content-security-policy';
import { createDesktopOperations } from './desktop-operations';
import { loadGatewayFactory } from './embedded-gateway';
import { installGracefulQuit, startEmbeddedGateway } from './gateway-lifecycle';
import { registerIpcHandlers } from './ipc';
import {
  isRendererUrl,
  registerRendererScheme,
  resolveRendererSource,
  serveRendererFiles,
} from './renderer-source';
import { claimSingleInstance, focusWindow } from './single-instance';
import { createTray } from './tray';
import { createMainWindow, denyAllPermissions } from './window';

// Build layout: out/main/index.js, out/preload/index.cjs, out/renderer/; resources/ sits next to out/.
const PRELOAD_PATH = path.join(import.meta.dirname, '../preload/index.cjs');
const RENDERER_DIR = path.join(import.meta.dirname, '../renderer');
const TRAY_ICON_PATH = path.join(import.meta.dirname, '../../resources/icons/tray.png');

const rendererSource = resolveRendererSource(process.env, app.isPackaged);
const isOurRenderer = (url: string): boolean => isRendererUrl(url, rendererSource);

let mainWindow: BrowserWindow | null = null;
let openWindow: (() => BrowserWindow) | null = null;

/** The existing window, or a new one once the app is ready; `null` while still booting. */
function currentOrNewWindow(): BrowserWindow | null {
  if (mainWindow && !mainWindow.isDestroyed()) return mainWindow;
  return openWindow ? openWindow() : null;
}

/** better-sqlite3 built for Electron's ABI by `npm start` (scripts/build-electron-native.mjs), if it is there. */
function electronSqliteBinding(): string | undefined {
  const file = path.join(app.getAppPath(), 'resources', 'native', 'electron', 'better_sqlite3.node');
  return fs.existsSync(file) ? file : undefined;
}

async function boot(): Promise<void> {
  const running = await startEmbeddedGateway({
    createGateway: loadGatewayFactory,
    env: process.env,
    userDataPath: app.getPath('userData'),
    nativeBinding: electronSqliteBinding(),
  });
  if (!running) return;
  const { gateway, url, dataDir } = running;

  const policy = buildContentSecurityPolicy({
    gatewayOrigin: new URL(url).origin,
    devServerOrigin: rendererSource.isDevServer ? new URL(rendererSource.entryUrl).origin : undefined,
  });
  serveRendererFiles(RENDERER_DIR, policy);
  installContentSecurityPolicy(session.defaultSession, policy, isOurRenderer);
  denyAllPermissions(session.defaultSession);
  registerIpcHandlers(
    createDesktopOperations({ gatewayUrl: url, adminToken: () => gateway.adminToken(), dataDir }),
    isOurRenderer,
  );

  openWindow = () => {
    mainWindow = createMainWindow({
      preloadPath: PRELOAD_PATH,
      entryUrl: rendererSource.entryUrl,
      boundsFile: path.join(app.getPath('userData'), 'window-bounds.json'),
      isRendererUrl: isOurRenderer,
    });
    mainWindow.on('closed', () => {
      mainWindow = null;
    });
    return mainWindow;
  };

  const tray = createTray({
    iconPath: TRAY_ICON_PATH,
    onOpenWindow: () => {
      const window = currentOrNewWindow();
      if (window) focusWindow(window);
    },
    onQuit: () => app.quit(),
  });
  tray.setStatus({ state: 'running', url });
  installGracefulQuit(gateway, {
    onStopping: () => {
      tray.setStatus({ state: 'stopping' });
      // app.exit() destroys windows without a 'close' event; closing now saves the bounds and lets the
      // app look gone while the gateway drains.
      mainWindow?.close();
    },
  });

  openWindow();
}

registerRendererScheme();

if (claimSingleInstance(currentOrNewWindow)) {
  // Closing the window leaves the gateway serving from the tray; quitting is explicit (tray, Cmd+Q).
  app.on('window-all-closed', () => undefined);
  app.on('activate', () => {
    const window = currentOrNewWindow();
    if (window) focusWindow(window);
  });
  app
    .whenReady()
    .then(boot)
    .catch((err: unknown) => {
      console.error('Omixa failed to start', err);
      app.exit(1);
    });
}
