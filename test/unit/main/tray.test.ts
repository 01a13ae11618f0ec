import { describe, expect, it, vi } from 'vitest';
import { buildTrayMenu, describeStatus } from '../../../src-main/main/tray';

const electron = await vi.hoisted(async () => (await import('./support/fake-electron')).createFakeElectron());
vi.mock('electron', () => electron);

describe('tray menu', () => {
  it('shows the gateway status, then Open and Quit', () => {
    const onOpenWindow = vi.fn();
    const onQuit = vi.fn();
    const menu = buildTrayMenu({ state: 'running', url: 'http://127.0.0.1:7878' }, { onOpenWindow, onQuit });

    expect(menu.map((item) => item.id ?? item.type)).toEqual(['status', 'separator', 'open', 'quit']);
    expect(menu[0]).toMatchObject({ label: 'Gateway running on http://127.0.0.1:7878', enabled: false });

    const click = (id: string) => (menu.find((item) => item.id === id)?.click as () => void)();
    click('quit');
    expect(onQuit).toHaveBeenCalledOnce();
    click('open');
    expect(onOpenWindow).toHaveBeenCalledOnce();
  });

  it('describes every state', () => {
    expect(describeStatus({ state: 'starting' })).toBe('Gateway starting…');
    expect(describeStatus({ state: 'stopping' })).toBe('Gateway stopping…');
  });
});
