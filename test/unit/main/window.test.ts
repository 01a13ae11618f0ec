import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildWindowOptions, createMainWindow } from '../../../src-main/main/window';
import {
  DEFAULT_WINDOW_BOUNDS,
  readWindowBounds,
  writeWindowBounds,
} from '../../../src-main/main/window-bounds';

const electron = await vi.hoisted(async () => (await import('./support/fake-electron')).createFakeElectron());
vi.mock('electron', () => electron);

const SCREEN = [{ x: 0, y: 0, width: 1920, height: 1080 }];
const RENDERER = 'app://omixa/index.html';
const isRendererUrl = (url: string) => url.startsWith('app://omixa/');

let dir: string;
let boundsFile: string;

beforeEach(() => {
  electron.reset();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omixa-window-'));
  boundsFile = path.join(dir, 'window-bounds.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function openWindow() {
  createMainWindow({ preloadPath: '/app/out/preload/index.cjs', entryUrl: RENDERER, boundsFile, isRendererUrl });
  const window = electron.BrowserWindow.instances.at(-1);
  if (!window) throw new Error('no window was created');
  return window;
}

describe('buildWindowOptions', () => {
  it('locks down the renderer: context isolation, sandbox, no node integration', () => {
    const options = buildWindowOptions('/preload.cjs', DEFAULT_WINDOW_BOUNDS);
    expect(options.webPreferences).toMatchObject({
      preload: '/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
    });
  });

  it('applies a saved position only when there is one', () => {
    expect(buildWindowOptions('/p', { width: 1000, height: 700, maximized: false })).not.toHaveProperty('x');
    expect(buildWindowOptions('/p', { width: 1000, height: 700, x: 5, y: 6, maximized: false })).toMatchObject({
      x: 5,
      y: 6,
      width: 1000,
      height: 700,
    });
  });
});

describe('window bounds file', () => {
  it('round-trips what was written', () => {
    writeWindowBounds(boundsFile, { x: 100, y: 50, width: 1400, height: 900, maximized: true });
    expect(readWindowBounds(boundsFile, SCREEN)).toEqual({ x: 100, y: 50, width: 1400, height: 900, maximized: true });
  });

  it('falls back to defaults for a missing or corrupt file', () => {
    expect(readWindowBounds(boundsFile, SCREEN)).toEqual(DEFAULT_WINDOW_BOUNDS);
    fs.writeFileSync(boundsFile, '{"width": 12');
    expect(readWindowBounds(boundsFile, SCREEN)).toEqual(DEFAULT_WINDOW_BOUNDS);
    fs.writeFileSync(boundsFile, '{"width": "wide", "height": 900}');
    expect(readWindowBounds(boundsFile, SCREEN)).toEqual(DEFAULT_WINDOW_BOUNDS);
  });

  it('drops a position that is on no display and enforces the minimum size', () => {
    writeWindowBounds(boundsFile, { x: 5000, y: 5000, width: 200, height: 100, maximized: false });
    expect(readWindowBounds(boundsFile, SCREEN)).toEqual({ width: 900, height: 600, maximized: false });
  });
});

describe('createMainWindow', () => {
  it('creates a hardened window with the preload and loads the renderer', () => {
    const window = openWindow();
    expect(window.options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    expect(window.loadURL).toHaveBeenCalledWith(RENDERER);
    expect(window.visible).toBe(false);
    window.emit('ready-to-show');
    expect(window.show).toHaveBeenCalled();
  });

  it('restores saved bounds', () => {
    writeWindowBounds(boundsFile, { x: 40, y: 30, width: 1500, height: 950, maximized: true });
    const window = openWindow();
    expect(window.options).toMatchObject({ x: 40, y: 30, width: 1500, height: 950 });
    expect(window.maximize).toHaveBeenCalled();
  });

  it('saves the normal bounds and maximised state on close', () => {
    const window = openWindow();
    window.normalBounds = { x: 70, y: 80, width: 1111, height: 777 };
    window.maximized = true;

    window.emit('close', {});

    expect(JSON.parse(fs.readFileSync(boundsFile, 'utf8'))).toEqual({
      x: 70,
      y: 80,
      width: 1111,
      height: 777,
      maximized: true,
    });
  });

  it('denies pop-ups, sending web links to the browser', () => {
    const window = openWindow();
    const openHandler = window.webContents.setWindowOpenHandler.mock.calls[0]?.[0] as (details: {
      url: string;
    }) => { action: string };

    expect(openHandler({ url: 'https://docs.example.com/' })).toEqual({ action: 'deny' });
    expect(electron.shell.openExternal).toHaveBeenCalledWith('https://docs.example.com/');

    expect(openHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(electron.shell.openExternal).toHaveBeenCalledTimes(1);
  });

  it('blocks navigation away from the renderer', () => {
    const window = openWindow();
    const away = { url: 'https://evil.example/', preventDefault: vi.fn() };
    window.webContents.emit('will-navigate', away);
    expect(away.preventDefault).toHaveBeenCalled();

    const inside = { url: 'app://omixa/index.html#/keys', preventDefault: vi.fn() };
    window.webContents.emit('will-navigate', inside);
    expect(inside.preventDefault).not.toHaveBeenCalled();
  });
});
