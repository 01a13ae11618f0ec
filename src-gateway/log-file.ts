import fs from 'node:fs';
import path from 'node:path';
import pino, { type Level, type MultiStreamRes } from 'pino';

/**
 * The gateway's log destinations: stdout, as always, and `<dataDir>/logs/omixa.log` (API.md §1: the data dir holds the
 * logs). Both receive the same lines, after pino's redaction. The file is bounded without a rotation library: at each
 * start a file past `rotateBytes` becomes `omixa.log.1`, replacing the older one, so the logs take at most about twice
 * that much space (plus what one run writes).
 */

/** Past this size the log file is set aside at the next start. */
export const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

export const logFilePath = (dataDir: string): string => path.join(dataDir, 'logs', 'omixa.log');

export interface GatewayLogDestination {
  /** What pino writes to. */
  stream: MultiStreamRes;
  /** The log file, or undefined when it could not be opened (`failure` says why; stdout still gets every line). */
  file: string | undefined;
  failure: Error | undefined;
  /** Flushes and closes the file; later lines (if any) go to stdout only. */
  close(): void;
}

export function openGatewayLog(dataDir: string, rotateBytes = LOG_ROTATE_BYTES): GatewayLogDestination {
  // Every stream takes every level: the logger's own level is the only filter.
  const stream: MultiStreamRes = pino.multistream<Level>([{ level: 'trace', stream: pino.destination(process.stdout.fd ?? 1) }]);
  const file = logFilePath(dataDir);
  let sink: ReturnType<typeof pino.destination> | undefined;
  let failure: Error | undefined;

  const detach = (): void => {
    const entry = (stream.streams as { stream: unknown; id?: number }[]).find((s) => s.stream === sink);
    if (entry?.id !== undefined) stream.remove(entry.id);
  };

  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    setAsideIfLarge(file, rotateBytes);
    // Opened here, synchronously, so that a file that cannot be opened is a warning rather than an 'error' event later.
    sink = pino.destination({ dest: fs.openSync(file, 'a', 0o600), sync: false });
    // A failing disk must not take the gateway down: the file stops, stdout goes on.
    sink.on('error', detach);
    stream.add({ level: 'trace', stream: sink });
  } catch (err) {
    failure = err as Error;
    sink = undefined;
  }

  return {
    stream,
    file: sink ? file : undefined,
    failure,
    close() {
      if (!sink) return;
      detach();
      try {
        sink.flushSync();
      } catch {
        // Nothing more can reach the file; closing it is all that is left.
      }
      sink.end();
      sink = undefined;
    },
  };
}

function setAsideIfLarge(file: string, rotateBytes: number): void {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return; // no file yet
  }
  if (size <= rotateBytes) return;
  try {
    fs.renameSync(file, `${file}.1`); // replaces the older one
  } catch {
    // Open elsewhere (Windows refuses the rename then): the file grows until a later start.
  }
}
