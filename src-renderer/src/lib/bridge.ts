import type { OmixaBridge } from '../../../src-main/preload/index';

declare global {
  interface Window {
    /** Set by the Electron preload; absent when the console runs in a browser. */
    omixa?: OmixaBridge;
  }
}

/** The desktop bridge, or `undefined` in the web console. */
export function getDesktopBridge(): OmixaBridge | undefined {
  return window.omixa;
}
