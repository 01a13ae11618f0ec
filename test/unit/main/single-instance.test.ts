import type { BrowserWindow } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { claimSingleInstance } from '../../../src-main/main/single-instance';
import type { FakeBrowserWindow } from './support/fake-electron';

const electron = await vi.hoisted(async () => (await import('./support/fake-electron')).createFakeElectron());
vi.mock('electron', () => electron);

const asWindow = (window: FakeBrowserWindow) => window as unknown as BrowserWindow;

beforeEach(() => electron.reset());

describe('claimSingleInstance', () => {
  it('quits when another instance holds the lock', () => {
    electron.app.requestSingleInstanceLock.mockReturnValue(false);

    expect(claimSingleInstance(() => null)).toBe(false);
    expect(electron.app.quit).toHaveBeenCalledOnce();
    expect(electron.app.listenerCount('second-instance')).toBe(0);
  });

  it('keeps running with the lock and focuses the window when a second instance starts', () => {
    const window = new electron.BrowserWindow({});
    window.minimized = true;
    window.visible = false;

    expect(claimSingleInstance(() => asWindow(window))).toBe(true);
    expect(electron.app.quit).not.toHaveBeenCalled();

    electron.app.emit('second-instance', {}, ['omixa'], '/');

    expect(window.restore).toHaveBeenCalledOnce();
    expect(window.show).toHaveBeenCalledOnce();
    expect(window.focus).toHaveBeenCalledOnce();
  });

  it('only focuses a window that is already visible', () => {
    const window = new electron.BrowserWindow({});
    window.visible = true;
    claimSingleInstance(() => asWindow(window));

    electron.app.emit('second-instance', {}, [], '/');

    expect(window.restore).not.toHaveBeenCalled();
    expect(window.show).not.toHaveBeenCalled();
    expect(window.focus).toHaveBeenCalledOnce();
  });

  it('asks for the window at the time of the second launch (it may have been recreated)', () => {
    const getWindow = vi.fn((): BrowserWindow | null => null);
    claimSingleInstance(getWindow);
    expect(getWindow).not.toHaveBeenCalled();

    electron.app.emit('second-instance', {}, [], '/');
    expect(getWindow).toHaveBeenCalledOnce();
  });
});
