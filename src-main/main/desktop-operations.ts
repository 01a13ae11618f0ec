/**
 * Implementations of the IPC operations: the OS capabilities the renderer may use through the bridge.
 */
import { app, clipboard, shell } from 'electron';
import type { IpcHandlers } from './ipc';

export interface DesktopOperationsDeps {
  gatewayUrl: string;
  adminToken: () => Promise<string>;
  dataDir: string;
}

export function createDesktopOperations(deps: DesktopOperationsDeps): IpcHandlers {
  return {
    getGatewayInfo: async () => ({ url: deps.gatewayUrl, adminToken: await deps.adminToken() }),
    // The URL was checked against the http(s)/mailto allow-list by the IPC layer.
    openExternal: async (url) => {
      await shell.openExternal(url);
    },
    revealDataDir: async () => {
      const failure = await shell.openPath(deps.dataDir);
      if (failure) throw new Error(`could not open ${deps.dataDir}: ${failure}`);
    },
    copyToClipboard: (text) => {
      clipboard.writeText(text);
    },
    // Electron supports login items on macOS and Windows only; elsewhere the read-back stays false.
    setStartAtLogin: (enabled) => {
      app.setLoginItemSettings({ openAtLogin: enabled });
      return app.getLoginItemSettings().openAtLogin;
    },
    getStartAtLogin: () => app.getLoginItemSettings().openAtLogin,
  };
}
