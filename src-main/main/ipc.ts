/**
 * Main-process side of the IPC contract. Every call is checked twice before its handler runs: the sending
 * frame must be our renderer's top-level frame, and the arguments must pass the contract's runtime check.
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import {
  IPC_ARGUMENT_CHECKS,
  IPC_CHANNELS,
  type IpcArgs,
  type IpcOperation,
  type IpcResult,
} from '../common/ipc-contract';

export type IpcHandlers = {
  [K in IpcOperation]: (...args: IpcArgs<K>) => IpcResult<K> | Promise<IpcResult<K>>;
};

export class IpcSenderError extends Error {
  override name = 'IpcSenderError';
}

export class IpcArgumentError extends Error {
  override name = 'IpcArgumentError';
}

/**
 * True for the top-level frame of a page at our renderer URL. Sub-frames are refused too: the renderer has
 * none, so one calling in is foreign content.
 */
export function isTrustedSenderFrame(
  frame: { readonly url: string; readonly parent: unknown } | null | undefined,
  isRendererUrl: (url: string) => boolean,
): boolean {
  return !!frame && frame.parent === null && isRendererUrl(frame.url);
}

function register<K extends IpcOperation>(
  operation: K,
  handler: IpcHandlers[K],
  isRendererUrl: (url: string) => boolean,
): void {
  const check = IPC_ARGUMENT_CHECKS[operation] as (args: unknown[]) => args is IpcArgs<K>;
  ipcMain.handle(IPC_CHANNELS[operation], async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
    if (!isTrustedSenderFrame(event.senderFrame, isRendererUrl)) {
      throw new IpcSenderError(`${operation}: refused a call from a frame outside the Omixa renderer`);
    }
    if (!check(args)) throw new IpcArgumentError(`${operation}: invalid arguments`);
    return handler(...args);
  });
}

/** Registers a handler for every operation; returns a function that removes them again. */
export function registerIpcHandlers(handlers: IpcHandlers, isRendererUrl: (url: string) => boolean): () => void {
  const operations = Object.keys(IPC_CHANNELS) as IpcOperation[];
  for (const operation of operations) {
    register(operation, handlers[operation], isRendererUrl);
  }
  return () => {
    for (const operation of operations) ipcMain.removeHandler(IPC_CHANNELS[operation]);
  };
}
