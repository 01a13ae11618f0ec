/**
 * Preload bridge: the only OS capabilities the renderer gets, one named method per operation.
 *
 * Runs sandboxed, so it is bundled to a single CommonJS file that requires nothing but `electron`.
 * There is deliberately no generic `invoke(channel, …)`: the renderer can reach exactly these channels.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { IPC_CHANNELS, type IpcArgs, type IpcOperation, type IpcResult } from '../common/ipc-contract';

function invoke<K extends IpcOperation>(operation: K, ...args: IpcArgs<K>): Promise<Awaited<IpcResult<K>>> {
  return ipcRenderer.invoke(IPC_CHANNELS[operation], ...args) as Promise<Awaited<IpcResult<K>>>;
}

const api = {
  getGatewayInfo: () => invoke('getGatewayInfo'),
  openExternal: (url: string) => invoke('openExternal', url),
  revealDataDir: () => invoke('revealDataDir'),
  copyToClipboard: (text: string) => invoke('copyToClipboard', text),
  setStartAtLogin: (enabled: boolean) => invoke('setStartAtLogin', enabled),
  getStartAtLogin: () => invoke('getStartAtLogin'),
} satisfies { [K in IpcOperation]: (...args: IpcArgs<K>) => Promise<Awaited<IpcResult<K>>> };

contextBridge.exposeInMainWorld('omixa', api);

/** The bridge as the renderer sees it on `window.omixa`. */
export type OmixaBridge = typeof api;
