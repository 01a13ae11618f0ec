import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EmbeddedGateway, EmbeddedGatewayOptions } from '../../../src-main/main/embedded-gateway';
import {
  connectableOrigin,
  installGracefulQuit,
  resolveDataDir,
  startEmbeddedGateway,
} from '../../../src-main/main/gateway-lifecycle';

const electron = await vi.hoisted(async () => (await import('./support/fake-electron')).createFakeElectron());
vi.mock('electron', () => electron);

function portInUse(): Error {
  return Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:7878'), {
    code: 'EADDRINUSE',
  });
}

function fakeGateway(overrides: Partial<EmbeddedGateway> = {}): EmbeddedGateway {
  return {
    config: { host: '127.0.0.1', port: 7878, dataDir: '/unused' },
    adminToken: vi.fn(async () => 'admin-token'),
    start: vi.fn(async () => ({ url: 'http://127.0.0.1:7878' })),
    stop: vi.fn(async () => undefined),
    ...overrides,
  };
}

function quitEvent() {
  return { preventDefault: vi.fn() };
}

beforeEach(() => electron.reset());

describe('resolveDataDir', () => {
  it('uses the same app-data dir as the CLI by default', () => {
    expect(resolveDataDir({ XDG_CONFIG_HOME: '/home/u/.config' }, '/home/u/.config/Omixa')).toBe(path.join('/home/u/.config', 'omixa'));
  });

  it('prefers OMIXA_DATA_DIR, resolved to an absolute path', () => {
    expect(resolveDataDir({ OMIXA_DATA_DIR: '/srv/omixa' }, '/ignored')).toBe(path.resolve('/srv/omixa'));
    expect(resolveDataDir({ OMIXA_DATA_DIR: 'rel/dir' }, '/ignored')).toBe(path.resolve('rel/dir'));
  });

  it('ignores a blank OMIXA_DATA_DIR', () => {
    expect(resolveDataDir({ OMIXA_DATA_DIR: '  ', XDG_CONFIG_HOME: '/user' }, '/user')).toBe(path.join('/user', 'omixa'));
  });
});

describe('connectableOrigin', () => {
  it('reaches a wildcard listen address through loopback', () => {
    expect(connectableOrigin('http://0.0.0.0:7878')).toBe('http://127.0.0.1:7878');
    expect(connectableOrigin('http://[::]:7878')).toBe('http://[::1]:7878');
    expect(connectableOrigin('http://127.0.0.1:7878/')).toBe('http://127.0.0.1:7878');
    expect(connectableOrigin('http://192.168.1.5:7878')).toBe('http://192.168.1.5:7878');
  });
});

describe('startEmbeddedGateway', () => {
  it('creates the gateway with the resolved data dir and starts it', async () => {
    const gateway = fakeGateway();
    const createGateway = vi.fn(async (_options: EmbeddedGatewayOptions) => gateway);
    const env = { OMIXA_DATA_DIR: '/data/omixa' };

    const running = await startEmbeddedGateway({ createGateway, env, userDataPath: '/user' });

    expect(createGateway).toHaveBeenCalledWith({ dataDir: path.resolve('/data/omixa'), env });
    expect(gateway.start).toHaveBeenCalledOnce();
    expect(running).toEqual({ gateway, url: 'http://127.0.0.1:7878', dataDir: path.resolve('/data/omixa') });
    expect(electron.dialog.showErrorBox).not.toHaveBeenCalled();
    expect(electron.app.exit).not.toHaveBeenCalled();
  });

  it("hands the Electron build of better-sqlite3 to the gateway when there is one", async () => {
    const gateway = fakeGateway();
    const createGateway = vi.fn(async (_options: EmbeddedGatewayOptions) => gateway);
    const env = { OMIXA_DATA_DIR: '/data/omixa' };
    await startEmbeddedGateway({ createGateway, env, userDataPath: '/user', nativeBinding: '/app/resources/native/electron/better_sqlite3.node' });
    expect(createGateway).toHaveBeenCalledWith({ dataDir: path.resolve('/data/omixa'), env, nativeBinding: '/app/resources/native/electron/better_sqlite3.node' });
  });

  it('shows a port-in-use dialog and exits when the port is taken', async () => {
    const gateway = fakeGateway({
      config: { host: '127.0.0.1', port: 7878, dataDir: '/d' },
      start: vi.fn(async () => Promise.reject(portInUse())),
    });

    const running = await startEmbeddedGateway({ createGateway: async () => gateway, env: {}, userDataPath: '/u' });

    expect(running).toBeNull();
    expect(electron.dialog.showErrorBox).toHaveBeenCalledOnce();
    const [title, message] = electron.dialog.showErrorBox.mock.calls[0] as [string, string];
    expect(title).toBe('Omixa cannot start');
    expect(message).toMatch(/^Port 7878 is already in use/);
    expect(gateway.stop).toHaveBeenCalledOnce();
    expect(electron.app.exit).toHaveBeenCalledWith(1);
  });

  it('names the configured port, not the default', async () => {
    const gateway = fakeGateway({
      config: { host: '127.0.0.1', port: 9999, dataDir: '/d' },
      start: vi.fn(async () => Promise.reject(portInUse())),
    });
    await startEmbeddedGateway({ createGateway: async () => gateway, env: {}, userDataPath: '/u' });
    expect(electron.dialog.showErrorBox.mock.calls[0]?.[1]).toMatch(/^Port 9999 is already in use/);
  });

  it('reports other start failures with their message', async () => {
    const gateway = fakeGateway({ start: vi.fn(async () => Promise.reject(new Error('database is locked'))) });
    const running = await startEmbeddedGateway({ createGateway: async () => gateway, env: {}, userDataPath: '/u' });
    expect(running).toBeNull();
    expect(electron.dialog.showErrorBox.mock.calls[0]?.[1]).toContain('database is locked');
    expect(electron.app.exit).toHaveBeenCalledWith(1);
  });

  it('reports a factory failure (e.g. a bad setting) and exits', async () => {
    const createGateway = vi.fn(async () => Promise.reject(new Error('invalid setting port')));
    const running = await startEmbeddedGateway({ createGateway, env: {}, userDataPath: '/u' });
    expect(running).toBeNull();
    expect(electron.dialog.showErrorBox.mock.calls[0]?.[1]).toContain('invalid setting port');
    expect(electron.app.exit).toHaveBeenCalledWith(1);
  });
});

describe('installGracefulQuit', () => {
  afterEach(() => vi.useRealTimers());

  it('holds the quit until the gateway has stopped, then exits', async () => {
    let finishStop!: () => void;
    const stop = vi.fn(() => new Promise<void>((resolve) => (finishStop = resolve)));
    const onStopping = vi.fn();
    installGracefulQuit({ stop }, { onStopping });

    const event = quitEvent();
    electron.app.emit('before-quit', event);

    expect(event.preventDefault).toHaveBeenCalled();
    expect(stop).toHaveBeenCalledOnce();
    expect(onStopping).toHaveBeenCalledOnce();
    expect(electron.app.exit).not.toHaveBeenCalled();

    finishStop();
    await vi.waitFor(() => expect(electron.app.exit).toHaveBeenCalledWith(0));
  });

  it('stops the gateway once even if quit is requested again while draining', async () => {
    const stop = vi.fn(() => new Promise<void>(() => undefined));
    installGracefulQuit({ stop });
    electron.app.emit('before-quit', quitEvent());
    const second = quitEvent();
    electron.app.emit('before-quit', second);
    expect(second.preventDefault).toHaveBeenCalled();
    expect(stop).toHaveBeenCalledOnce();
  });

  it('still exits when stop() fails', async () => {
    const log = vi.fn();
    installGracefulQuit({ stop: vi.fn(async () => Promise.reject(new Error('boom'))) }, { log });
    electron.app.emit('before-quit', quitEvent());
    await vi.waitFor(() => expect(electron.app.exit).toHaveBeenCalledWith(0));
    expect(log).toHaveBeenCalledWith('gateway stop failed', expect.any(Error));
  });

  it('exits after the timeout when stop() hangs', async () => {
    vi.useFakeTimers();
    const log = vi.fn();
    installGracefulQuit({ stop: () => new Promise<void>(() => undefined) }, { timeoutMs: 5_000, log });
    electron.app.emit('before-quit', quitEvent());

    await vi.advanceTimersByTimeAsync(4_999);
    expect(electron.app.exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(electron.app.exit).toHaveBeenCalledWith(0);
  });
});
