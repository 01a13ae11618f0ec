/**
 * The main window: locked-down web preferences, remembered bounds, and no navigation or pop-ups away from
 * the renderer.
 */
import { BrowserWindow, screen, shell, type BrowserWindowConstructorOptions, type Session } from 'electron';
import { isOpenableExternalUrl } from '../common/ipc-contract';
import { MIN_WINDOW_SIZE, readWindowBounds, writeWindowBounds, type WindowBounds } from './window-bounds';

export interface MainWindowOptions {
  preloadPath: string;
  /** URL of the renderer entry page. */
  entryUrl: string;
  /** JSON file holding the saved bounds. */
  boundsFile: string;
  isRendererUrl: (url: string) => boolean;
  log?: (message: string, err?: unknown) => void;
}

export function buildWindowOptions(preloadPath: string, bounds: WindowBounds): BrowserWindowConstructorOptions {
  return {
    width: bounds.width,
    height: bounds.height,
    ...(bounds.x !== undefined && bounds.y !== undefined ? { x: bounds.x, y: bounds.y } : {}),
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    title: 'Omixa',
    // Shown on ready-to-show so the user never sees an empty white frame.
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** Denies every web permission (camera, notifications, geolocation, …); the renderer needs none today. */
export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const { preloadPath, entryUrl, boundsFile, isRendererUrl, log = (m, e) => console.error(m, e) } = options;
  const workAreas = screen.getAllDisplays().map((display) => display.workArea);
  const bounds = readWindowBounds(boundsFile, workAreas);
  const window = new BrowserWindow(buildWindowOptions(preloadPath, bounds));
  if (bounds.maximized) window.maximize();

  window.once('ready-to-show', () => window.show());
  window.on('close', () => {
    try {
      writeWindowBounds(boundsFile, { ...window.getNormalBounds(), maximized: window.isMaximized() });
    } catch (err) {
      log('could not save window bounds', err);
    }
  });

  // Links that would open a new window go to the user's browser instead; the app never opens child windows.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (isOpenableExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => {
    if (!isRendererUrl(event.url)) event.preventDefault();
  });

  void window.loadURL(entryUrl).catch((err: unknown) => log(`could not load ${entryUrl}`, err));
  return window;
}
