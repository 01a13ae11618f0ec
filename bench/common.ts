/** Small helpers shared by the bench child processes (each target runs in its own process, forked by run.ts). */

export type ChildMessage =
  | { type: 'ready'; url: string; [k: string]: unknown }
  | { type: 'stats'; [k: string]: unknown }
  | { type: 'stages'; on: boolean; [k: string]: unknown };

/** Sends a message to the parent over the fork IPC channel (or prints it when run by hand). */
export function tell(message: ChildMessage): void {
  if (process.send) process.send(message);
  else console.log(JSON.stringify(message));
}

/** Runs `stop` and exits cleanly on an IPC 'stop' message or a signal (a clean exit is what writes --cpu-prof files). */
export function onStop(stop: () => Promise<void>): void {
  let stopping = false;
  const go = () => {
    if (stopping) return;
    stopping = true;
    stop().catch((err) => console.error(err)).finally(() => process.exit(0));
  };
  process.on('message', (m: any) => m?.type === 'stop' && go());
  process.on('SIGTERM', go);
  process.on('SIGINT', go);
  process.on('disconnect', go);
}

/** Answers IPC `{type:'stats'}` with this process's CPU time (µs, user + system) and whatever `extra` returns. */
export function serveStats(extra: () => object = () => ({})): void {
  process.on('message', (m: any) => {
    if (m?.type !== 'stats') return;
    const cpu = process.cpuUsage();
    tell({ type: 'stats', cpuUs: cpu.user + cpu.system, ...extra() });
  });
}

export function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
