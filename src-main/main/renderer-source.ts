/**
 * Where the renderer is loaded from, and how the main process recognises it.
 *
 * Packaged and built runs serve `out/renderer` from the privileged `app://omixa` scheme rather than `file://`:
 * the page gets a real origin (so the gateway can name it in CORS and IPC can check it) and cannot read other
 * local files. `electron-vite dev` sets ELECTRON_RENDERER_URL to its dev server instead.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';

export const RENDERER_SCHEME = 'app';
export const RENDERER_HOST = 'omixa';
export const RENDERER_ORIGIN = `${RENDERER_SCHEME}://${RENDERER_HOST}`;

export interface RendererSource {
  /** URL the window loads. */
  entryUrl: string;
  /** True when loading from the Vite dev server (hot reload; relaxed CSP). */
  isDevServer: boolean;
}

export function resolveRendererSource(env: NodeJS.ProcessEnv, isPackaged: boolean): RendererSource {
  const devServerUrl = env.ELECTRON_RENDERER_URL;
  if (!isPackaged && devServerUrl) return { entryUrl: devServerUrl, isDevServer: true };
  return { entryUrl: `${RENDERER_ORIGIN}/index.html`, isDevServer: false };
}

/**
 * True when `candidate` belongs to our renderer: same scheme and host (incl. port) as the entry URL.
 * Compared by parts because WHATWG `URL.origin` is `"null"` for non-http schemes such as `app:`.
 */
export function isRendererUrl(candidate: string, source: RendererSource): boolean {
  let url: URL;
  let entry: URL;
  try {
    url = new URL(candidate);
    entry = new URL(source.entryUrl);
  } catch {
    return false;
  }
  return url.protocol === entry.protocol && url.host === entry.host && url.username === '' && url.password === '';
}

/** Must run before `app` is ready: privileges cannot be granted to a scheme afterwards. */
export function registerRendererScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: RENDERER_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
    },
  ]);
}

/**
 * Maps a renderer request URL to a file inside `rendererDir`, or `null` for another host or a path that
 * escapes the directory (`..`, encoded separators).
 */
export function resolveRendererFile(requestUrl: string, rendererDir: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${RENDERER_SCHEME}:` || url.host !== RENDERER_HOST) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
  return file.startsWith(root + path.sep) ? file : null;
}

/**
 * Serves the built renderer on `app://omixa/`. The CSP header is set here because Electron's webRequest header
 * hooks only run for http(s) responses, not for custom protocols.
 */
export function serveRendererFiles(rendererDir: string, contentSecurityPolicy: string): void {
  protocol.handle(RENDERER_SCHEME, async (request) => {
    const file = resolveRendererFile(request.url, rendererDir);
    if (!file) return new Response('Not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    if (file.endsWith('.html')) headers.set('Content-Security-Policy', contentSecurityPolicy);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}
