/**
 * The one contract between the preload bridge and the main process: every IPC operation, its channel, its
 * argument and result types, and the runtime argument check the main side applies.
 *
 * Runs in both processes (the sandboxed preload bundles it), so it imports nothing.
 */

/** What the renderer needs to talk to the embedded gateway over HTTP. */
export interface GatewayInfo {
  /** Origin of the gateway, e.g. `http://127.0.0.1:7878`. */
  url: string;
  /** Bearer token for `/admin/api/*`. */
  adminToken: string;
}

/** Each operation as the main process implements it (results may also be returned as promises). */
export interface IpcOperations {
  getGatewayInfo(): GatewayInfo;
  /** Opens an http(s) or mailto URL in the user's default application. */
  openExternal(url: string): void;
  /** Opens the gateway data directory in the OS file manager. */
  revealDataDir(): void;
  copyToClipboard(text: string): void;
  /** Returns the setting now in effect, which stays `false` where the OS has no login items (Linux). */
  setStartAtLogin(enabled: boolean): boolean;
  getStartAtLogin(): boolean;
}

export type IpcOperation = keyof IpcOperations;
export type IpcArgs<K extends IpcOperation> = Parameters<IpcOperations[K]>;
export type IpcResult<K extends IpcOperation> = ReturnType<IpcOperations[K]>;

export const IPC_CHANNELS: { readonly [K in IpcOperation]: `omixa:${string}` } = {
  getGatewayInfo: 'omixa:get-gateway-info',
  openExternal: 'omixa:open-external',
  revealDataDir: 'omixa:reveal-data-dir',
  copyToClipboard: 'omixa:copy-to-clipboard',
  setStartAtLogin: 'omixa:set-start-at-login',
  getStartAtLogin: 'omixa:get-start-at-login',
};

/** Longest text the renderer may put on the clipboard: generous for keys and snippets, bounded for memory. */
export const CLIPBOARD_TEXT_LIMIT = 1_000_000;

const EXTERNAL_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** True for URLs that are safe to hand to the OS: no `file:`, no custom app schemes, no `javascript:`. */
export function isOpenableExternalUrl(value: string): boolean {
  try {
    return EXTERNAL_PROTOCOLS.has(new URL(value).protocol);
  } catch {
    return false;
  }
}

const noArgs = (args: unknown[]): args is [] => args.length === 0;

/**
 * Argument checks run by the main process after the sender check: a compromised renderer is untrusted input,
 * and TypeScript types do not cross the process boundary.
 */
export const IPC_ARGUMENT_CHECKS: { readonly [K in IpcOperation]: (args: unknown[]) => args is IpcArgs<K> } = {
  getGatewayInfo: noArgs,
  openExternal: (args): args is [string] =>
    args.length === 1 && typeof args[0] === 'string' && isOpenableExternalUrl(args[0]),
  revealDataDir: noArgs,
  copyToClipboard: (args): args is [string] =>
    args.length === 1 && typeof args[0] === 'string' && args[0].length <= CLIPBOARD_TEXT_LIMIT,
  setStartAtLogin: (args): args is [boolean] => args.length === 1 && typeof args[0] === 'boolean',
  getStartAtLogin: noArgs,
};
