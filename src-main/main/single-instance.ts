/**
 * One running app per user: a second launch hands over to the first (which shows its window) and exits,
 * since two processes would fight over the gateway port and the database.
 */
import { app, type BrowserWindow } from 'electron';

/** Brings a window to the front, un-minimising and un-hiding it first. */
export function focusWindow(window: BrowserWindow): void {
  if (window.isMinimized()) window.restore();
  if (!window.isVisible()) window.show();
  window.focus();
}

/**
 * Claims the single-instance lock. Returns `false` (after asking the app to quit) when another instance holds
 * it. `getWindow` may create the window if the first instance is running in the tray only.
 */
export function claimSingleInstance(getWindow: () => BrowserWindow | null): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', () => {
    const window = getWindow();
    if (window && !window.isDestroyed()) focusWindow(window);
  });
  return true;
}
