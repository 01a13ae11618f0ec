/**
 * A/B of the first streamed event: the upstream fake directly, gateway A (another checkout, e.g. a git worktree of an
 * older commit) and gateway B (this checkout), measured in rotating blocks so that the machine's drift over time hits
 * all three alike. A single `run.ts` measures each target in its own time slot, which on a shared VM can move the
 * result by ±0.3 ms; this compares two versions of the gateway to about ±0.1 ms.
 *
 *   git worktree add /tmp/omixa-base <commit> && ln -s "$PWD/node_modules" /tmp/omixa-base/node_modules
 *   node --import tsx bench/ab-stream.ts --base /tmp/omixa-base [--rounds 8] [--streams 40] [--idle S]
 *
 * Each round runs one block per target (order alternating between rounds): 3 unmeasured streams, then `--streams`
 * sequential ones, whose median is the block's figure. `--idle S` waits S seconds before every stream, to measure
 * calls that arrive at an idle gateway (the desktop's usual case) instead of back-to-back ones. `--b-node-flags "…"`
 * starts B with extra Node flags; with `--base .` that is an A/B of a runtime flag on the same code.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { CHAT_BODY, STREAM_BODY, UPSTREAM_CHAT_PATH, UPSTREAM_SECRET } from './bodies.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string, fallback?: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const BASE = opt('base');
if (!BASE) {
  console.error('usage: node --import tsx bench/ab-stream.ts --base <checkout of the version to compare with> [--rounds N] [--streams N] [--idle S] [--b-node-flags "..."]');
  process.exit(2);
}
const ROUNDS = Number(opt('rounds', '8'));
const STREAMS = Number(opt('streams', '40'));
const IDLE_S = Number(opt('idle', '0'));
/** Extra Node flags for B only: with `--base` set to this checkout, an A/B of a runtime flag. */
const B_NODE_FLAGS = (opt('b-node-flags') ?? '').split(' ').filter(Boolean);
const UNMEASURED = 3;

interface Child {
  proc: ChildProcess;
  ready: { url: string; key?: string };
}

function start(script: string, args: string[], nodeFlags: string[] = []): Promise<Child> {
  const proc = fork(script, args, { execArgv: [...nodeFlags, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
    proc.once('message', (m: any) => resolve({ proc, ready: m }));
  });
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

const STREAM_BYTES = Buffer.from(STREAM_BODY);
const agent = new http.Agent({ keepAlive: true });

/** Milliseconds from writing the request to the first complete `data:` event. */
function firstEvent(target: Target): Promise<number> {
  const url = new URL(target.url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': STREAM_BYTES.length, ...target.headers } },
      (res) => {
        let first = NaN;
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (!Number.isNaN(first)) return;
          buffer += chunk;
          if (/(^|\n)data:[^\n]*\n\n/.test(buffer)) first = performance.now() - started;
        });
        res.on('end', () => (Number.isNaN(first) ? reject(new Error(`${target.name}: no data event (HTTP ${res.statusCode})`)) : resolve(first)));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(STREAM_BYTES);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const children: Child[] = [];
try {
  const upstream = await start(path.join(here, 'upstream.ts'), ['--chunk-delay', '20']);
  children.push(upstream);
  const [a, b] = await Promise.all([
    start(path.join(path.resolve(BASE), 'bench', 'gateway.ts'), ['--upstream', upstream.ready.url]),
    start(path.join(here, 'gateway.ts'), ['--upstream', upstream.ready.url], B_NODE_FLAGS),
  ]);
  children.push(a, b);
  const targets: Target[] = [
    { name: 'direct', url: `${upstream.ready.url}${UPSTREAM_CHAT_PATH}`, headers: { 'api-key': UPSTREAM_SECRET } },
    { name: 'A', url: `${a.ready.url}/v1/chat/completions`, headers: { authorization: `Bearer ${a.ready.key}` } },
    { name: 'B', url: `${b.ready.url}/v1/chat/completions`, headers: { authorization: `Bearer ${b.ready.key}` } },
  ];
  for (const target of targets) {
    // JIT warm-up, as the throughput runs give run.ts's streams.
    await new Promise((resolve) =>
      autocannon({ url: target.url, method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: CHAT_BODY, connections: 8, duration: 2 }, resolve),
    );
  }
  const blocks: Record<string, number[]> = { direct: [], A: [], B: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const i of round % 2 ? [0, 1, 2] : [0, 2, 1]) {
      const target = targets[i]!;
      const samples: number[] = [];
      for (let k = 0; k < UNMEASURED + STREAMS; k++) {
        if (IDLE_S > 0) await sleep(IDLE_S * 1000);
        const ms = await firstEvent(target);
        if (k >= UNMEASURED) samples.push(ms);
      }
      blocks[target.name]!.push(median(samples));
    }
    console.log(`round ${round + 1}/${ROUNDS}: direct ${blocks.direct!.at(-1)!.toFixed(2)} ms, A ${blocks.A!.at(-1)!.toFixed(2)} ms, B ${blocks.B!.at(-1)!.toFixed(2)} ms`);
  }
  const direct = mean(blocks.direct!);
  for (const name of ['A', 'B']) console.log(`${name}: first event ${mean(blocks[name]!).toFixed(3)} ms, +${(mean(blocks[name]!) - direct).toFixed(3)} ms over direct (mean of block medians)`);
  const diffs = blocks.B!.map((x, i) => x - blocks.A![i]!);
  console.log(`B − A: ${mean(diffs).toFixed(3)} ms (per round: ${diffs.map((d) => d.toFixed(2)).join(', ')}); B faster in ${diffs.filter((d) => d < 0).length} of ${ROUNDS} rounds`);
} finally {
  for (const child of children) child.proc.send({ type: 'stop' });
  agent.destroy();
}
