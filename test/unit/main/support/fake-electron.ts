/**
 * A stand-in for the `electron` module, for `vi.mock('electron', …)`. Only what src-main touches is faked.
 *
 * Modules under test bind to these objects once at import, so `reset()` restores them in place instead of
 * replacing them. Use from a test file as:
 *
 *   const electron = await vi.hoisted(async () => (await import('./support/fake-electron')).createFakeElectron());
 *   vi.mock('electron', () => electron);
 */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

export interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
}

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Records the options it was built with and plays back window state set by the test. */
export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];

  normalBounds: Rectangle = { x: 10, y: 20, width: 1280, height: 820 };
  minimized = false;
  visible = false;
  maximized = false;
  destroyed = false;

  readonly webContents = Object.assign(new EventEmitter(), { setWindowOpenHandler: vi.fn() });
  readonly loadURL = vi.fn(async (_url: string) => undefined);
  readonly show = vi.fn(() => {
    this.visible = true;
  });
  readonly focus = vi.fn();
  readonly restore = vi.fn(() => {
    this.minimized = false;
  });
  readonly maximize = vi.fn(() => {
    this.maximized = true;
  });

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
  }

  isMinimized(): boolean {
    return this.minimized;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getNormalBounds(): Rectangle {
    return { ...this.normalBounds };
  }
}

export function createFakeElectron() {
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    getPath: vi.fn((name: string) => `/fake/${name}`),
    requestSingleInstanceLock: vi.fn(() => true),
    quit: vi.fn(),
    exit: vi.fn(),
    setLoginItemSettings: vi.fn(),
    getLoginItemSettings: vi.fn(() => ({ openAtLogin: false })),
  });

  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  const ipcMain = {
    handlers,
    handle: vi.fn((channel: string, listener: (event: unknown, ...args: unknown[]) => unknown) => {
      handlers.set(channel, listener);
    }),
    removeHandler: vi.fn((channel: string) => {
      handlers.delete(channel);
    }),
  };

  const fake = {
    app,
    dialog: { showErrorBox: vi.fn() },
    ipcMain,
    ipcRenderer: { invoke: vi.fn(async (..._args: unknown[]) => undefined as unknown) },
    contextBridge: { exposeInMainWorld: vi.fn() },
    BrowserWindow: FakeBrowserWindow,
    screen: {
      getAllDisplays: vi.fn(() => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } as Rectangle }]),
    },
    shell: { openExternal: vi.fn(async () => undefined), openPath: vi.fn(async () => '') },
    clipboard: { writeText: vi.fn() },

    /** Back to a fresh state: no listeners, no recorded calls, default return values. */
    reset(): void {
      app.removeAllListeners();
      handlers.clear();
      FakeBrowserWindow.instances = [];
      vi.clearAllMocks();
      app.requestSingleInstanceLock.mockImplementation(() => true);
      app.getLoginItemSettings.mockImplementation(() => ({ openAtLogin: false }));
      fake.shell.openPath.mockImplementation(async () => '');
    },

    /** Calls a registered `ipcMain.handle` listener the way Electron would for a frame at `frame`. */
    invokeFromFrame(channel: string, frame: FakeFrame | null, ...args: unknown[]): Promise<unknown> {
      const listener = handlers.get(channel);
      if (!listener) throw new Error(`no handler for ${channel}`);
      return Promise.resolve().then(() => listener({ senderFrame: frame }, ...args));
    },
  };
  return fake;
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;
