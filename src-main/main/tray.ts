/**
 * Tray icon: shows whether the gateway is serving, reopens the window, quits. The app keeps running in the
 * tray when its window is closed, because local apps depend on the gateway, not on the window.
 */
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';

export type GatewayStatus = { state: 'starting' } | { state: 'running'; url: string } | { state: 'stopping' };

export interface TrayOptions {
  iconPath: string;
  onOpenWindow: () => void;
  onQuit: () => void;
}

export interface TrayController {
  setStatus(status: GatewayStatus): void;
  destroy(): void;
}

export function describeStatus(status: GatewayStatus): string {
  switch (status.state) {
    case 'starting':
      return 'Gateway starting…';
    case 'running':
      return `Gateway running on ${status.url}`;
    case 'stopping':
      return 'Gateway stopping…';
  }
}

export function buildTrayMenu(status: GatewayStatus, options: Omit<TrayOptions, 'iconPath'>): MenuItemConstructorOptions[] {
  return [
    { id: 'status', label: describeStatus(status), enabled: false },
    { type: 'separator' },
    { id: 'open', label: 'Open Omixa', click: () => options.onOpenWindow() },
    { id: 'quit', label: 'Quit Omixa', click: () => options.onQuit() },
  ];
}

export function createTray(options: TrayOptions): TrayController {
  // A coloured icon, not a macOS template image: the same file reads on light and dark panels everywhere.
  // Electron picks up tray@2x.png next to it on HiDPI screens.
  const tray = new Tray(nativeImage.createFromPath(options.iconPath));

  const render = (status: GatewayStatus): void => {
    tray.setToolTip(`Omixa: ${describeStatus(status)}`);
    tray.setContextMenu(Menu.buildFromTemplate(buildTrayMenu(status, options)));
  };
  render({ state: 'starting' });
  // Windows and Linux users expect a click on the tray icon to bring the window back.
  if (process.platform !== 'darwin') tray.on('click', () => options.onOpenWindow());

  return {
    setStatus: render,
    destroy: () => tray.destroy(),
  };
}
