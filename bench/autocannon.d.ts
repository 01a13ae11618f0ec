/** Minimal typing for the parts of autocannon 8 the bench uses (the package ships no types). */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';
  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    connections?: number;
    pipelining?: number;
    duration?: number;
    timeout?: number;
    /** Per-request rewriting: `setupRequest` returns the request to send (e.g. with a new body). */
    requests?: { setupRequest?: (req: Record<string, unknown>) => Record<string, unknown> }[];
  }
  interface Result {
    non2xx: number;
    errors: number;
    timeouts: number;
    requests: { average: number; total: number; sent: number };
    latency: { p50: number; p99: number; average: number };
  }
  function autocannon(options: Options, callback: (err: Error | null, result: Result) => void): EventEmitter;
  export default autocannon;
}
