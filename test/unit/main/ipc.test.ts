import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS, type IpcOperation } from '../../../src-main/common/ipc-contract';
import { createDesktopOperations } from '../../../src-main/main/desktop-operations';
import { isTrustedSenderFrame, registerIpcHandlers, type IpcHandlers } from '../../../src-main/main/ipc';
import { isRendererUrl, resolveRendererSource } from '../../../src-main/main/renderer-source';
import type { FakeFrame } from './support/fake-electron';

const electron = await vi.hoisted(async () => (await import('./support/fake-electron')).createFakeElectron());
vi.mock('electron', () => electron);

const source = resolveRendererSource({}, true);
const isOurs = (url: string) => isRendererUrl(url, source);

const topFrame = (url: string): FakeFrame => ({ url, parent: null });
const RENDERER_FRAME = topFrame('app://omixa/index.html#/dashboard');

function fakeHandlers(): IpcHandlers {
  return {
    getGatewayInfo: vi.fn(() => ({ url: 'http://127.0.0.1:7878', adminToken: 'tok' })),
    openExternal: vi.fn(),
    revealDataDir: vi.fn(),
    copyToClipboard: vi.fn(),
    setStartAtLogin: vi.fn((enabled: boolean) => enabled),
    getStartAtLogin: vi.fn(() => true),
  };
}

beforeEach(() => electron.reset());

describe('registerIpcHandlers', () => {
  it('registers one handler per contract channel and can remove them', () => {
    const unregister = registerIpcHandlers(fakeHandlers(), isOurs);
    expect([...electron.ipcMain.handlers.keys()].sort()).toEqual(Object.values(IPC_CHANNELS).sort());
    unregister();
    expect(electron.ipcMain.handlers.size).toBe(0);
  });

  it('runs the handler for a call from our renderer', async () => {
    const handlers = fakeHandlers();
    registerIpcHandlers(handlers, isOurs);

    await expect(electron.invokeFromFrame(IPC_CHANNELS.getGatewayInfo, RENDERER_FRAME)).resolves.toEqual({
      url: 'http://127.0.0.1:7878',
      adminToken: 'tok',
    });
    await expect(electron.invokeFromFrame(IPC_CHANNELS.setStartAtLogin, RENDERER_FRAME, true)).resolves.toBe(true);
    expect(handlers.setStartAtLogin).toHaveBeenCalledWith(true);
  });

  it.each([
    ['a foreign origin', topFrame('https://evil.example/index.html')],
    ['a look-alike host', topFrame('app://omixa.evil/index.html')],
    ['a file URL', topFrame('file:///tmp/index.html')],
    ['a sub-frame inside our page', { url: 'app://omixa/index.html', parent: RENDERER_FRAME }],
    ['a destroyed frame', null],
  ])('rejects a call from %s without running the handler', async (_label, frame) => {
    const handlers = fakeHandlers();
    registerIpcHandlers(handlers, isOurs);

    for (const op of Object.keys(IPC_CHANNELS) as IpcOperation[]) {
      await expect(electron.invokeFromFrame(IPC_CHANNELS[op], frame)).rejects.toThrow(/outside the Omixa renderer/);
      expect(handlers[op]).not.toHaveBeenCalled();
    }
  });

  it('rejects invalid arguments from a trusted frame', async () => {
    const handlers = fakeHandlers();
    registerIpcHandlers(handlers, isOurs);

    const invalid: [IpcOperation, unknown[]][] = [
      ['openExternal', ['file:///etc/passwd']],
      ['openExternal', ['javascript:alert(1)']],
      ['openExternal', [42]],
      ['copyToClipboard', [{ text: 'x' }]],
      ['setStartAtLogin', ['yes']],
      ['getGatewayInfo', ['extra']],
    ];
    for (const [op, args] of invalid) {
      await expect(electron.invokeFromFrame(IPC_CHANNELS[op], RENDERER_FRAME, ...args)).rejects.toThrow(
        /invalid arguments/,
      );
      expect(handlers[op]).not.toHaveBeenCalled();
    }
  });

  it('trusts the dev server origin only in dev mode', () => {
    const dev = resolveRendererSource({ ELECTRON_RENDERER_URL: 'http://localhost:5173' }, false);
    const devCheck = (url: string) => isRendererUrl(url, dev);
    expect(isTrustedSenderFrame(topFrame('http://localhost:5173/'), devCheck)).toBe(true);
    expect(isTrustedSenderFrame(topFrame('http://localhost:5174/'), devCheck)).toBe(false);
    expect(isTrustedSenderFrame(topFrame('app://omixa/index.html'), devCheck)).toBe(false);

    const packaged = resolveRendererSource({ ELECTRON_RENDERER_URL: 'http://localhost:5173' }, true);
    expect(isRendererUrl('http://localhost:5173/', packaged)).toBe(false);
  });
});

describe('desktop operations', () => {
  const operations = () =>
    createDesktopOperations({
      gatewayUrl: 'http://127.0.0.1:7878',
      adminToken: async () => 'secret-admin',
      dataDir: '/data/gateway',
    });

  it('returns the gateway url and admin token', async () => {
    await expect(operations().getGatewayInfo()).resolves.toEqual({
      url: 'http://127.0.0.1:7878',
      adminToken: 'secret-admin',
    });
  });

  it('sets start at login and reports the setting in effect', async () => {
    electron.app.getLoginItemSettings.mockReturnValue({ openAtLogin: true });
    expect(await operations().setStartAtLogin(true)).toBe(true);
    expect(electron.app.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: true });
  });

  it('reveals the data dir and surfaces a failure', async () => {
    await operations().revealDataDir();
    expect(electron.shell.openPath).toHaveBeenCalledWith('/data/gateway');

    electron.shell.openPath.mockResolvedValueOnce('no file manager');
    await expect(operations().revealDataDir()).rejects.toThrow(/no file manager/);
  });

  it('copies text to the clipboard', async () => {
    await operations().copyToClipboard('sk-1');
    expect(electron.clipboard.writeText).toHaveBeenCalledWith('sk-1');
  });
});
