/**
 * The renderer's Content-Security-Policy: scripts and styles from the app bundle only, network access to the
 * embedded gateway only. The meta tag in `src-renderer/index.html` is a looser baseline (it cannot know the
 * gateway port); browsers enforce both, so the header narrows it.
 */
import type { Session } from 'electron';

export interface CspOptions {
  /** e.g. `http://127.0.0.1:7878`. */
  gatewayOrigin: string;
  /** Origin of the Vite dev server when running `electron-vite dev`; allows its inline preamble, styles and HMR socket. */
  devServerOrigin?: string;
}

export function buildContentSecurityPolicy({ gatewayOrigin, devServerOrigin }: CspOptions): string {
  const dev = devServerOrigin ? new URL(devServerOrigin) : undefined;
  const hmrSocket = dev ? `${dev.protocol === 'https:' ? 'wss' : 'ws'}://${dev.host}` : undefined;
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
    'style-src': dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
    'img-src': ["'self'", 'data:', 'blob:', gatewayOrigin],
    'media-src': ["'self'", 'blob:', gatewayOrigin],
    'font-src': ["'self'"],
    'connect-src': [gatewayOrigin, ...(dev && hmrSocket ? [dev.origin, hmrSocket] : [])],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

/** Returns the headers with every Content-Security-Policy header (any casing) replaced by `policy`. */
export function withContentSecurityPolicy(
  headers: Record<string, string[]> | undefined,
  policy: string,
): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value;
  }
  result['Content-Security-Policy'] = [policy];
  return result;
}

/**
 * Sets the policy on documents the renderer loads over http(s) (the dev server). Other responses, including
 * the gateway's API replies, pass through untouched.
 */
export function installContentSecurityPolicy(
  session: Session,
  policy: string,
  isRendererUrl: (url: string) => boolean,
): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    const isDocument = details.resourceType === 'mainFrame' || details.resourceType === 'subFrame';
    if (!isDocument || !isRendererUrl(details.url)) {
      callback({});
      return;
    }
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders, policy) });
  });
}
