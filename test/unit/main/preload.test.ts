import { beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS, type IpcOperation } from '../../../src-main/common/ipc-contract';

const electron = await vi.hoisted(async () => (await import('./support/fake-electron')).createFakeElectron());
vi.mock('electron', () => electron);

type Bridge = Record<IpcOperation, (...args: unknown[]) => Promise<unknown>>;

let bridge: Bridge;

beforeAll(async () => {
  await import('../../../src-main/preload/index');
  expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledOnce();
  const [key, api] = electron.contextBridge.exposeInMainWorld.mock.calls[0] as [string, Bridge];
  expect(key).toBe('omixa');
  bridge = api;
});

const SAMPLE_ARGS: Record<IpcOperation, unknown[]> = {
  getGatewayInfo: [],
  openExternal: ['https://omixa.example/'],
  revealDataDir: [],
  copyToClipboard: ['sk-omixa-123'],
  setStartAtLogin: [true],
  getStartAtLogin: [],
};

describe('preload bridge', () => {
  it('exposes exactly one named method per contract operation, and nothing generic', () => {
    expect(Object.keys(bridge).sort()).toEqual(
      [
        'copyToClipboard',
        'getGatewayInfo',
        'getStartAtLogin',
        'openExternal',
        'revealDataDir',
        'setStartAtLogin',
      ].sort(),
    );
    expect(Object.keys(bridge).sort()).toEqual(Object.keys(IPC_CHANNELS).sort());
    for (const method of Object.values(bridge)) expect(typeof method).toBe('function');
  });

  it.each(Object.keys(SAMPLE_ARGS) as IpcOperation[])('%s invokes its own channel with its arguments', async (op) => {
    electron.ipcRenderer.invoke.mockClear();
    electron.ipcRenderer.invoke.mockResolvedValueOnce(`result of ${op}`);

    await expect(bridge[op](...SAMPLE_ARGS[op])).resolves.toBe(`result of ${op}`);

    expect(electron.ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(IPC_CHANNELS[op], ...SAMPLE_ARGS[op]);
  });

  it('uses a distinct channel for every operation', () => {
    const channels = Object.values(IPC_CHANNELS);
    expect(new Set(channels).size).toBe(channels.length);
  });
});
