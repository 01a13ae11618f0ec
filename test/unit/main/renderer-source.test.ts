import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  isRendererUrl,
  resolveRendererFile,
  resolveRendererSource,
} from '../../../src-main/main/renderer-source';

const electron = await vi.hoisted(async () => (await import('./support/fake-electron')).createFakeElectron());
vi.mock('electron', () => electron);

const DIR = path.resolve('/app/out/renderer');

describe('resolveRendererSource', () => {
  it('serves the built renderer from app://omixa unless the dev server is running', () => {
    expect(resolveRendererSource({}, false)).toEqual({ entryUrl: 'app://omixa/index.html', isDevServer: false });
    expect(resolveRendererSource({ ELECTRON_RENDERER_URL: 'http://localhost:5173' }, false)).toEqual({
      entryUrl: 'http://localhost:5173',
      isDevServer: true,
    });
  });

  it('never uses a dev server URL in a packaged app', () => {
    expect(resolveRendererSource({ ELECTRON_RENDERER_URL: 'http://localhost:5173' }, true).isDevServer).toBe(false);
  });
});

describe('isRendererUrl', () => {
  const source = resolveRendererSource({}, true);
  it.each([
    ['app://omixa/index.html', true],
    ['app://omixa/assets/index.js?x=1#y', true],
    ['app://other/index.html', false],
    ['app://user:pw@omixa/index.html', false],
    ['http://omixa/index.html', false],
    ['not a url', false],
  ])('%s → %s', (url, expected) => {
    expect(isRendererUrl(url, source)).toBe(expected);
  });
});

describe('resolveRendererFile', () => {
  it('maps paths inside the renderer directory', () => {
    expect(resolveRendererFile('app://omixa/', DIR)).toBe(path.join(DIR, 'index.html'));
    expect(resolveRendererFile('app://omixa/index.html', DIR)).toBe(path.join(DIR, 'index.html'));
    expect(resolveRendererFile('app://omixa/assets/index-abc.js?v=1', DIR)).toBe(
      path.join(DIR, 'assets', 'index-abc.js'),
    );
  });

  it.each(['app://omixa/../../etc/passwd', 'app://omixa/%2e%2e/%2e%2e/etc/passwd'])(
    'keeps %s inside the directory (the URL parser collapses dot segments)',
    (url) => {
      expect(resolveRendererFile(url, DIR)).toBe(path.join(DIR, 'etc', 'passwd'));
    },
  );

  it.each([
    'app://omixa/assets/..%2f..%2f..%2fetc%2fpasswd',
    'app://omixa/%00index.html',
    'app://omixa/%E0%A4%A',
    'app://elsewhere/index.html',
    'https://omixa/index.html',
  ])('refuses %s', (url) => {
    expect(resolveRendererFile(url, DIR)).toBeNull();
  });
});
