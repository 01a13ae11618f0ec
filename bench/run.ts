/**
 * Gateway benchmark: `node --import tsx bench/run.ts [options]`.
 *
 * Starts three child processes: the Azure upstream fake, a plain Node reverse proxy and the Omixa gateway (billing
 * on). This process is the load generator. For each target it measures:
 *   - non-streamed chat completions under autocannon at c=1, c=32 and c=128 (req/s, p50, p99, non-2xx);
 *   - streamed chat completions, sequential and concurrent, with upstream events `--chunk-delay` ms apart:
 *     time to first body byte, time to the first `data:` event, and the spread between first and last event;
 *     for the gateway's sequential streams also where its time to the first event goes, stage by stage (from Node's
 *     and undici's diagnostics channels and the gateway's `omixa:chat` milestones, collected only during those streams).
 * It then checks that the gateway billed every call, and writes bench/RESULTS.md.
 *
 * Options:
 *   --duration S       seconds per measured throughput run (default 8; warm-up is 1.5 s before each)
 *   --chunk-delay MS   upstream delay between stream events (default 20)
 *   --streams N        sequential streams per target (default 50)
 *   --targets LIST     comma-separated subset of direct,plain,gateway (default all)
 *   --profile          run the gateway with --cpu-prof into bench/profiles/ and print its hottest functions
 *   --wait-quiet S     first wait up to S seconds for other processes to use < 25 % of the machine (default 0)
 *   --no-write         do not (re)write bench/RESULTS.md
 *   --routing-deployments N   deployments of the one model in the routing-overhead run (default 50; 0 skips it)
 *   --stream-only      quick TTFB check: a short c=8 warm-up, then only the streamed runs; prints, never writes
 *
 * Routing overhead (issue #3, with the gateway target): two more gateways, started with the others and idle until this
 * run, so that both have the same history: one with N deployments of the same model (same upstream fake, different
 * names and vault secrets), one with a single deployment. Non-streamed at c=32, alternating A/B/A/B runs so that load
 * from other processes hits both alike.
 *
 * Besides the tiny prompt, plain proxy and gateway also get a long-conversation run (bodies.ts) at c=32, which is
 * where the gateway's per-request token counting shows. Every target reports the CPU time its process spent per
 * answer, the figure that stays meaningful when other work shares the machine (the run reports how much did).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { summarizeProfile } from './profile-summary.js';
import { CHAT_BODY, conversationBody, STREAM_BODY, UPSTREAM_CHAT_PATH, UPSTREAM_SECRET } from './bodies.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const flag = (name: string): boolean => argv.includes(`--${name}`);

const DURATION = Number(opt('duration', '8'));
const WARMUP = 1.5;
const CONVO_DURATION = Math.max(2, Math.round(DURATION * 0.75));
const LATENCY_DURATION = Math.max(2, Math.round(DURATION / 2));
const CHUNK_DELAY = Number(opt('chunk-delay', '20'));
const SEQ_STREAMS = Number(opt('streams', '50'));
const CONC_STREAMS = 32;
const CONC_ROUNDS = 2;
const PROFILE = flag('profile');
const TARGETS = opt('targets', 'direct,plain,gateway').split(',') as TargetName[];
const PROFILE_DIR = path.join(here, 'profiles');
const NOTES_MARKER = '<!-- notes: everything below is kept when run.ts rewrites this file -->';
const WAIT_QUIET_S = Number(opt('wait-quiet', '0'));
const ROUTING_DEPLOYMENTS = Number(opt('routing-deployments', '50'));
/** Alternating rounds per side: with 2, two identical gateways measured up to 13 % apart as the host's speed drifted. */
const ROUTING_ROUNDS = 4;
const STREAM_ONLY = flag('stream-only');

type TargetName = 'direct' | 'plain' | 'gateway' | 'gatewayOne' | 'gatewayMany';

interface Target {
  name: TargetName;
  label: string;
  url: string;
  path: string;
  headers: Record<string, string>;
  /** The process that serves this target (its CPU time per request is reported). */
  server: Child;
}

// ---------------------------------------------------------------- child processes

interface Child {
  proc: ChildProcess;
  ready: { url: string; [k: string]: unknown };
  request<T>(message: object, reply: string): Promise<T>;
  stop(): Promise<void>;
}

function startChild(script: string, args: string[], execArgv: string[] = []): Promise<Child> {
  const proc = fork(path.join(here, script), args, {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${script} exited (${code}) before it was ready`));
    proc.once('exit', onExit);
    proc.once('message', (m: any) => {
      if (m?.type !== 'ready') return reject(new Error(`${script}: unexpected first message ${JSON.stringify(m)}`));
      proc.off('exit', onExit);
      resolve({
        proc,
        ready: m,
        request: (message, reply) =>
          new Promise((res) => {
            const on = (r: any) => {
              if (r?.type !== reply) return;
              proc.off('message', on);
              res(r);
            };
            proc.on('message', on);
            proc.send(message);
          }),
        stop: () =>
          new Promise<void>((res) => {
            if (proc.exitCode !== null) return res();
            const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
            proc.once('exit', () => (clearTimeout(timer), res()));
            proc.send({ type: 'stop' });
          }),
      });
    });
  });
}

// ---------------------------------------------------------------- statistics

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
const sortNum = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

// ---------------------------------------------------------------- throughput (autocannon)

const CONVERSATION_BYTES = conversationBody()().length;

interface LoadResult {
  connections: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU time (user + system, all threads) of the serving process per 2xx answer, µs. */
  cpuPerReq: number;
  /** Same for the upstream fake's process (the gateway/proxy runs add their upstream calls). */
  upstreamCpuPerReq: number;
}

/** 2xx responses the gateway answered (warm-ups included), to compare with its `requests` rows afterwards. */
const okSent: Record<TargetName, number> = { direct: 0, plain: 0, gateway: 0, gatewayOne: 0, gatewayMany: 0 };

function cannon(target: Target, connections: number, seconds: number, body?: () => string): Promise<LoadResult> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url + target.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...target.headers },
        body: CHAT_BODY,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        ...(body ? { requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }) }] } : {}),
      },
      (err: Error | null, result: any) => {
        if (err) return reject(err);
        const sorted = sortNum(latencies);
        okSent[target.name] += latencies.length;
        resolve({
          connections,
          seconds,
          // Completed 2xx per second over the run (autocannon's own `requests.average` is per-second samples).
          rps: latencies.length / seconds,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          ok: latencies.length,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          cpuPerReq: NaN,
          upstreamCpuPerReq: NaN,
        });
      },
    );
    // autocannon's histogram has 1 ms resolution; keep the exact per-response times for sub-millisecond percentiles.
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

const cpuOf = async (child: Child) => (await child.request<{ cpuUs: number }>({ type: 'stats' }, 'stats')).cpuUs;

async function throughput(target: Target, connections: number, seconds: number, body?: () => string): Promise<LoadResult> {
  await cannon(target, connections, WARMUP, body);
  const [s0, u0] = [await cpuOf(target.server), await cpuOf(upstreamChild)];
  const result = await cannon(target, connections, seconds, body);
  const [s1, u1] = [await cpuOf(target.server), await cpuOf(upstreamChild)];
  result.cpuPerReq = (s1 - s0) / result.ok;
  result.upstreamCpuPerReq = (u1 - u0) / result.ok;
  return result;
}

// ---------------------------------------------------------------- streaming

interface StreamSample {
  /** Request written → first body byte (ms). */
  ttfb: number;
  /** Request written → first `data:` event complete (ms). */
  firstData: number;
  /** Last event time − first event time (ms). */
  spread: number;
  events: number;
  status: number;
}

const streamAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function oneStream(target: Target): Promise<StreamSample> {
  const url = new URL(target.url + target.path);
  const body = Buffer.from(STREAM_BODY);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        agent: streamAgent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, ...target.headers },
      },
      (res) => {
        let ttfb = NaN;
        let firstEvent = NaN;
        let lastEvent = NaN;
        let events = 0;
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const now = performance.now();
          if (Number.isNaN(ttfb)) ttfb = now - started;
          buffer += chunk;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            if (!event.startsWith('data:') && !event.includes('\ndata:')) continue; // padding / heartbeat comments
            events++;
            if (Number.isNaN(firstEvent)) firstEvent = now;
            lastEvent = now;
          }
        });
        res.on('end', () => resolve({ ttfb, firstData: firstEvent - started, spread: lastEvent - firstEvent, events, status: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface StreamStats {
  mode: string;
  n: number;
  failed: number;
  events: number;
  ttfbP50: number;
  ttfbP99: number;
  firstDataP50: number;
  firstDataP99: number;
  spreadMean: number;
  spreadP50: number;
}

function streamStats(mode: string, samples: StreamSample[]): StreamStats {
  const good = samples.filter((s) => s.status === 200);
  const ttfb = sortNum(good.map((s) => s.ttfb));
  const firstData = sortNum(good.map((s) => s.firstData));
  const spread = good.map((s) => s.spread);
  return {
    mode,
    n: samples.length,
    failed: samples.length - good.length,
    events: Math.round(mean(good.map((s) => s.events))),
    ttfbP50: percentile(ttfb, 50),
    ttfbP99: percentile(ttfb, 99),
    firstDataP50: percentile(firstData, 50),
    firstDataP99: percentile(firstData, 99),
    spreadMean: mean(spread),
    spreadP50: percentile(sortNum(spread), 50),
  };
}

/** Medians (µs) of the gateway's stages over the sequential streams (see bench/gateway.ts). */
interface StageStats {
  n: number;
  validated: number;
  held: number;
  dispatched: number;
  upstream: number;
  written: number;
  ownUs: number;
}

async function streaming(target: Target): Promise<{ seq: StreamStats; conc: StreamStats; stages?: StageStats }> {
  for (let i = 0; i < 5; i++) await oneStream(target); // warm-up: connections, JIT
  const staged = target.name === 'gateway';
  if (staged) await target.server.request({ type: 'stages', on: true }, 'stages');
  const seq: StreamSample[] = [];
  for (let i = 0; i < SEQ_STREAMS; i++) seq.push(await oneStream(target));
  const stages = staged ? await target.server.request<StageStats>({ type: 'stages', on: false }, 'stages') : undefined;
  const conc: StreamSample[] = [];
  for (let r = 0; r < CONC_ROUNDS; r++) conc.push(...(await Promise.all(Array.from({ length: CONC_STREAMS }, () => oneStream(target)))));
  okSent[target.name] += 5 + seq.length + conc.length;
  return { seq: streamStats('sequential', seq), conc: streamStats(`${CONC_STREAMS} concurrent ×${CONC_ROUNDS}`, conc), stages };
}

// ---------------------------------------------------------------- machine load

/** CPU time the whole machine spent busy so far, µs (Linux /proc/stat; undefined elsewhere). */
function machineBusyUs(): number | undefined {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = everything but idle and iowait; USER_HZ is 100 on Linux.
    return ((f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * 1e6) / 100;
  } catch {
    return undefined;
  }
}

interface MachineLoad {
  wallS: number;
  ownCoreS: number;
  foreignCoreS: number | undefined;
  loadAvgStart: number;
}

// ---------------------------------------------------------------- routing overhead (issue #3)

interface RoutingResult {
  deployments: number;
  /** Per gateway: the c=32 runs, in order. */
  single: LoadResult[];
  many: LoadResult[];
}

/** Sum-based figures over the rounds: req/s = all answers / all seconds; CPU µs/req = all CPU / all answers. */
function pooled(runs: LoadResult[]): { rps: number; p50: number; cpuPerReq: number; non2xx: number; errors: number } {
  const ok = runs.reduce((a, r) => a + r.ok, 0);
  return {
    rps: ok / runs.reduce((a, r) => a + r.seconds, 0),
    p50: mean(runs.map((r) => r.p50)),
    cpuPerReq: runs.reduce((a, r) => a + r.cpuPerReq * r.ok, 0) / ok,
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors + r.timeouts, 0),
  };
}

async function routingOverhead(single: Target, many: Target): Promise<RoutingResult> {
  const result: RoutingResult = { deployments: ROUTING_DEPLOYMENTS, single: [], many: [] };
  for (let round = 0; round < ROUTING_ROUNDS; round++) {
    // A/B then B/A: neither side always runs first.
    const order = round % 2 === 0 ? [single, many] : [many, single];
    for (const t of order) (t === single ? result.single : result.many).push(await throughput(t, 32, DURATION));
  }
  return result;
}

// ---------------------------------------------------------------- main

interface TargetResult {
  target: Target;
  c1: LoadResult;
  c32: LoadResult;
  c128: LoadResult;
  /** c=32 with the long conversation body (not run against the upstream directly). */
  convo?: LoadResult;
  stream: { seq: StreamStats; conc: StreamStats; stages?: StageStats };
}

const log = (...args: unknown[]) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s]`, ...args);
const t0 = performance.now();

const children: Child[] = [];
let upstreamChild: Child;
const stopAll = () => Promise.all(children.map((c) => c.stop()));
process.on('SIGINT', () => void stopAll().finally(() => process.exit(130)));

try {
  if (PROFILE) {
    fs.rmSync(PROFILE_DIR, { recursive: true, force: true });
    fs.mkdirSync(PROFILE_DIR, { recursive: true });
  }
  const upstream = await startChild('upstream.ts', ['--chunk-delay', String(CHUNK_DELAY)]);
  children.push(upstream);
  upstreamChild = upstream;
  const routed = TARGETS.includes('gateway') && ROUTING_DEPLOYMENTS > 0;
  const [proxy, gateway, gatewayOne, gatewayMany] = await Promise.all([
    TARGETS.includes('plain') ? startChild('plain-proxy.ts', ['--upstream', upstream.ready.url]) : undefined,
    TARGETS.includes('gateway')
      ? startChild('gateway.ts', ['--upstream', upstream.ready.url], PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])
      : undefined,
    // The routing run compares two gateways with the same history (started together, idle until then), not the main
    // gateway, which has served the throughput and streaming runs by that time. Run against each other with the same
    // single deployment, the main gateway and a fresh one measured 4 % apart.
    routed ? startChild('gateway.ts', ['--upstream', upstream.ready.url]) : undefined,
    routed ? startChild('gateway.ts', ['--upstream', upstream.ready.url, '--deployments', String(ROUTING_DEPLOYMENTS)]) : undefined,
  ]);
  if (proxy) children.push(proxy);
  if (gateway) children.push(gateway);
  if (gatewayOne) children.push(gatewayOne);
  if (gatewayMany) children.push(gatewayMany);
  log(`upstream ${upstream.ready.url}${proxy ? `, plain proxy ${proxy.ready.url}` : ''}${gateway ? `, gateway ${gateway.ready.url}` : ''}`);

  const targets: Target[] = [];
  if (TARGETS.includes('direct')) {
    targets.push({
      name: 'direct',
      label: 'direct to upstream',
      url: upstream.ready.url,
      path: UPSTREAM_CHAT_PATH,
      headers: { 'api-key': UPSTREAM_SECRET },
      server: upstream,
    });
  }
  if (proxy) targets.push({ name: 'plain', label: 'plain Node proxy', url: proxy.ready.url, path: '/v1/chat/completions', headers: { authorization: 'Bearer anything' }, server: proxy });
  /** A gateway child as a load target, with the client key it made for the bench. */
  const gatewayTargetOf = (child: Child, name: TargetName, label: string): Target => ({
    name,
    label,
    url: child.ready.url,
    path: '/v1/chat/completions',
    headers: { authorization: `Bearer ${child.ready.key as string}` },
    server: child,
  });
  let before: any;
  if (gateway) {
    targets.push(gatewayTargetOf(gateway, 'gateway', 'Omixa gateway (billing)'));
    before = await gateway.request({ type: 'stats' }, 'stats');
  }

  if (WAIT_QUIET_S > 0) {
    const deadline = performance.now() + WAIT_QUIET_S * 1000;
    for (;;) {
      const m0 = machineBusyUs();
      await new Promise((r) => setTimeout(r, 2000));
      const foreign = ((machineBusyUs() ?? 0) - (m0 ?? 0)) / 2e6 / os.cpus().length; // fraction of the machine (bench idle)
      if (m0 === undefined || foreign < 0.25) break;
      if (performance.now() > deadline) {
        log(`machine still busy (${fmt(foreign * 100, 0)} % used by other processes); measuring anyway`);
        break;
      }
      log(`waiting for a quieter machine: ${fmt(foreign * 100, 0)} % used by other processes`);
    }
  }
  const ownCpu = async () => {
    const cpu = process.cpuUsage();
    let total = cpu.user + cpu.system;
    for (const c of children) total += await cpuOf(c);
    return total;
  };
  const load0 = { wall: performance.now(), own: await ownCpu(), machine: machineBusyUs(), loadAvg: os.loadavg()[0]! };

  if (STREAM_ONLY) {
    for (const target of targets) {
      await cannon(target, 8, 2); // JIT warm-up, as the throughput runs give the full bench
      const stream = await streaming(target);
      log(`${target.label}: stream ttfb p50 ${fmt(stream.seq.ttfbP50)} ms, first data p50 ${fmt(stream.seq.firstDataP50)} ms (p99 ${fmt(stream.seq.firstDataP99)}), concurrent ${fmt(stream.conc.firstDataP50)} ms`);
      if (stream.stages) log(`${target.label}: stages (µs) ${JSON.stringify(stream.stages)}`);
    }
    await stopAll();
    streamAgent.destroy();
    process.exit(0);
  }

  const results: TargetResult[] = [];
  for (const target of targets) {
    log(`${target.label}: throughput c=1, 32, 128${target.name === 'direct' ? '' : ', long conversation c=32'}`);
    const c1 = await throughput(target, 1, LATENCY_DURATION);
    const c32 = await throughput(target, 32, DURATION);
    const c128 = await throughput(target, 128, DURATION);
    log(`${target.label}: c1 p50 ${fmt(c1.p50)} ms; c32 ${fmt(c32.rps, 0)} req/s p50 ${fmt(c32.p50)} ms, ${fmt(c32.cpuPerReq, 0)} µs CPU/req; c128 ${fmt(c128.rps, 0)} req/s p50 ${fmt(c128.p50)} ms`);
    const convo = target.name === 'direct' ? undefined : await throughput(target, 32, CONVO_DURATION, conversationBody());
    if (convo) log(`${target.label}: conversation c32 ${fmt(convo.rps, 0)} req/s p50 ${fmt(convo.p50)} ms, ${fmt(convo.cpuPerReq, 0)} µs CPU/req`);
    log(`${target.label}: streaming`);
    const stream = await streaming(target);
    log(`${target.label}: stream ttfb p50 ${fmt(stream.seq.ttfbP50)} ms, first data p50 ${fmt(stream.seq.firstDataP50)} ms, spread ${fmt(stream.seq.spreadMean)} ms, ${stream.seq.events} events`);
    results.push({ target, c1, c32, c128, convo, stream });
  }

  let routing: RoutingResult | undefined;
  /** The routing run's gateways with their stats before it: they bill too, and are checked like the main one. */
  const routingBilled: { target: Target; before: any }[] = [];
  if (gatewayOne && gatewayMany && gateway) {
    log(`routing overhead: ${ROUTING_DEPLOYMENTS} deployments vs 1, c=32, ${ROUTING_ROUNDS} alternating rounds`);
    const one = gatewayTargetOf(gatewayOne, 'gatewayOne', 'Omixa gateway, 1 deployment');
    const many = gatewayTargetOf(gatewayMany, 'gatewayMany', `Omixa gateway, ${ROUTING_DEPLOYMENTS} deployments`);
    for (const target of [one, many]) routingBilled.push({ target, before: await target.server.request({ type: 'stats' }, 'stats') });
    routing = await routingOverhead(one, many);
    const [a, b] = [pooled(routing.single), pooled(routing.many)];
    log(`routing overhead: 1 deployment ${fmt(a.rps, 0)} req/s ${fmt(a.cpuPerReq, 0)} µs CPU/req; ${ROUTING_DEPLOYMENTS} deployments ${fmt(b.rps, 0)} req/s ${fmt(b.cpuPerReq, 0)} µs CPU/req`);
  }

  let billing: BillingCheck | undefined;
  if (gateway) {
    await new Promise((r) => setTimeout(r, 500)); // let calls the load generator abandoned at the end finish
    const after: any = await gateway.request({ type: 'stats' }, 'stats');
    billing = checkBilling(before, after, okSent.gateway);
    log(`billing: ${billing.summary} → ${verdictText(billing.ok)}`);
    for (const { target, before: routingBefore } of routingBilled) {
      const check = checkBilling(routingBefore, await target.server.request({ type: 'stats' }, 'stats'), okSent[target.name]);
      log(`billing (${target.label}): ${check.summary} → ${verdictText(check.ok)}`);
      if (!check.ok) billing = { ...billing, ok: false, summary: `${billing.summary}; ${target.label}: ${check.summary}` };
    }
  }

  const machine1 = machineBusyUs();
  const own1 = await ownCpu();
  const machineLoad: MachineLoad = {
    wallS: (performance.now() - load0.wall) / 1000,
    ownCoreS: (own1 - load0.own) / 1e6,
    foreignCoreS: machine1 !== undefined && load0.machine !== undefined ? Math.max(0, (machine1 - load0.machine - (own1 - load0.own)) / 1e6) : undefined,
    loadAvgStart: load0.loadAvg,
  };
  log(`machine: ${fmt(machineLoad.ownCoreS, 1)} core-s used by the bench, ${fmt(machineLoad.foreignCoreS ?? NaN, 1)} core-s by other processes over ${fmt(machineLoad.wallS, 1)} s`);

  await stopAll();
  children.length = 0;
  streamAgent.destroy();

  const report = renderReport(results, billing, machineLoad, routing);
  console.log('\n' + report.table);
  if (!flag('no-write') && TARGETS.length === 3) {
    // Hand-written analysis below the marker survives re-runs; the tables above it are regenerated.
    const file = path.join(here, 'RESULTS.md');
    const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const marker = previous.indexOf(NOTES_MARKER);
    fs.writeFileSync(file, report.markdown + (marker >= 0 ? '\n' + previous.slice(marker) : ''));
    log('wrote bench/RESULTS.md');
  }
  if (PROFILE) {
    const files = fs.readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(PROFILE_DIR, f));
    // One file per thread, named CPU.<date>.<time>.<pid>.<thread>.<seq>: thread 0 is the main thread (tsx adds a loader thread).
    const main = files.find((f) => path.basename(f).split('.')[4] === '0');
    if (main) console.log(`\ngateway CPU profile ${path.relative(process.cwd(), main)}\n${summarizeProfile(main, 30)}`);
  }
  log('done');
} catch (err) {
  console.error(err);
  await stopAll();
  process.exitCode = 1;
}

// ---------------------------------------------------------------- billing check

interface BillingCheck {
  ok: boolean;
  summary: string;
  rows: number;
  okRows: number;
  pending: number;
  spentMicros: number;
  costMicros: number;
  lockedMicros: number;
  answered: number;
}

function checkBilling(before: any, after: any, answered: number): BillingCheck {
  const count = (s: any, status?: string) => (s.byStatus as { status: string; n: number; cost: number }[]).filter((r) => !status || r.status === status).reduce((a, r) => a + r.n, 0);
  const cost = (s: any) => (s.byStatus as { cost: number }[]).reduce((a, r) => a + r.cost, 0);
  const rows = count(after) - count(before);
  const okRows = count(after, 'ok') - count(before, 'ok');
  const pending = count(after, 'pending');
  const spentMicros = before.balanceMicros - after.balanceMicros;
  const costMicros = cost(after) - cost(before);
  const ok = okRows >= answered && pending === 0 && after.lockedMicros === 0 && spentMicros === costMicros && spentMicros > 0;
  return {
    ok,
    rows,
    okRows,
    pending,
    spentMicros,
    costMicros,
    lockedMicros: after.lockedMicros,
    answered,
    summary: `${rows} new request rows (${okRows} ok, ${pending} pending) for ${answered} 2xx answers seen by the client; wallet moved ${spentMicros} micros (sum of row costs ${costMicros}), ${after.lockedMicros} still locked`,
  };
}

function verdictText(ok: boolean): string {
  return ok ? 'PASS' : 'FAIL';
}

// ---------------------------------------------------------------- report

function renderReport(results: TargetResult[], billing: BillingCheck | undefined, machine: MachineLoad, routing?: RoutingResult): { table: string; markdown: string } {
  const by = (name: TargetName) => results.find((r) => r.target.name === name);
  const direct = by('direct');
  const plain = by('plain');
  const gw = by('gateway');
  const pct = (a: number, b: number) => (b > 0 ? `${fmt((a / b) * 100, 1)} %` : 'n/a');

  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const lines: string[] = [];
  lines.push('### Non-streamed chat completions (autocannon, keep-alive, pipelining 1)', '');
  lines.push(row(['target', 'c', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'req/s vs plain proxy', 'target CPU µs/req', 'upstream CPU µs/req']));
  lines.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const r of results) {
    for (const l of [r.c1, r.c32, r.c128]) {
      const ref = plain ? [plain.c1, plain.c32, plain.c128].find((x) => x.connections === l.connections) : undefined;
      lines.push(row([r.target.label, l.connections, fmt(l.rps, 0), fmt(l.p50), fmt(l.p99), l.non2xx, l.errors + l.timeouts, ref ? pct(l.rps, ref.rps) : '', fmt(l.cpuPerReq, 0), r.target.name === 'direct' ? '(same)' : fmt(l.upstreamCpuPerReq, 0)]));
    }
  }
  const convoRows = results.filter((r) => r.convo);
  if (convoRows.length) {
    lines.push('', `### Long conversation: ${(CONVERSATION_BYTES / 1024).toFixed(1)} KB body (15 repeated messages + a new question each request), c=32`, '');
    lines.push(row(['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'req/s vs plain proxy', 'target CPU µs/req', 'upstream CPU µs/req']));
    lines.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
    for (const r of convoRows) {
      const l = r.convo!;
      lines.push(row([r.target.label, fmt(l.rps, 0), fmt(l.p50), fmt(l.p99), l.non2xx, l.errors + l.timeouts, plain?.convo ? pct(l.rps, plain.convo.rps) : '', fmt(l.cpuPerReq, 0), fmt(l.upstreamCpuPerReq, 0)]));
    }
  }
  lines.push('', `### Streamed chat completions (upstream events ${CHUNK_DELAY} ms apart; times from request write)`, '');
  lines.push(row(['target', 'streams', 'failed', 'data events', 'TTFB p50 ms', 'TTFB p99 ms', 'first `data:` p50 ms', 'first `data:` p99 ms', 'spread mean ms', 'spread vs direct']));
  lines.push(row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const r of results) {
    for (const key of ['seq', 'conc'] as const) {
      const s = r.stream[key];
      const ref = direct?.stream[key];
      lines.push(row([r.target.label, `${s.mode} (${s.n})`, s.failed, s.events, fmt(s.ttfbP50), fmt(s.ttfbP99), fmt(s.firstDataP50), fmt(s.firstDataP99), fmt(s.spreadMean, 1), ref ? pct(s.spreadMean, ref.spreadMean) : '']));
    }
  }

  const staged = gw?.stream.stages;
  if (staged && staged.n > 0) {
    lines.push('', `### Where the gateway's time to the first streamed event goes (sequential streams, medians of ${staged.n} calls)`, '');
    lines.push(row(['stage', 'µs']));
    lines.push(row(['---', '---:']));
    const stageRows: [string, number][] = [
      ['request headers parsed → body read, key checked, body validated', staged.validated],
      ['→ model, estimate, key windows, hold committed', staged.held],
      ['→ routed, upstream call built and dispatched', staged.dispatched],
      ['upstream round trip, to its response headers (not the gateway\'s)', staged.upstream],
      ['→ first upstream read written to the client', staged.written],
      ["the gateway's own time (all but the upstream round trip)", staged.ownUs],
    ];
    for (const [label, us] of stageRows) lines.push(row([label, fmt(us, 0)]));
  }

  if (routing) {
    lines.push('', `### Routing overhead (issue #3): ${routing.deployments} deployments of one model vs 1, non-streamed, c=32, ${ROUTING_ROUNDS} alternating rounds of ${DURATION} s (two gateways started together, idle until this run)`, '');
    lines.push(row(['gateway', 'req/s (per round)', 'req/s (pooled)', 'p50 ms (mean)', 'non-2xx', 'errors', 'target CPU µs/req (pooled)']));
    lines.push(row(['---', '---', '---:', '---:', '---:', '---:', '---:']));
    for (const [label, runs] of [['1 deployment', routing.single], [`${routing.deployments} deployments`, routing.many]] as const) {
      const p = pooled(runs);
      lines.push(row([label, runs.map((r) => fmt(r.rps, 0)).join(', '), fmt(p.rps, 0), fmt(p.p50), p.non2xx, p.errors, fmt(p.cpuPerReq, 0)]));
    }
  }

  const bars: string[] = [];
  if (gw && plain && direct) {
    const verdict = (ok: boolean) => `**${verdictText(ok)}**`;
    const ratio = gw.c32.rps / plain.c32.rps;
    bars.push(row(['bar', 'measured', 'result']));
    bars.push(row(['---', '---', '---']));
    bars.push(row(['gateway req/s with billing ≥ 50 % of plain proxy at c=32', `${fmt(gw.c32.rps, 0)} vs ${fmt(plain.c32.rps, 0)} req/s = ${fmt(ratio * 100, 1)} %`, verdict(ratio >= 0.5)]));
    const d32 = gw.c32.p50 - plain.c32.p50;
    bars.push(row(['p50 latency within 1 ms of plain proxy (c=32)', `${fmt(gw.c32.p50)} vs ${fmt(plain.c32.p50)} ms (+${fmt(d32)} ms)`, verdict(d32 <= 1)]));
    const d1 = gw.c1.p50 - plain.c1.p50;
    bars.push(row(['p50 latency within 1 ms of plain proxy (c=1, unloaded; informational)', `${fmt(gw.c1.p50)} vs ${fmt(plain.c1.p50)} ms (+${fmt(d1)} ms)`, verdict(d1 <= 1)]));
    const dTtfb = gw.stream.seq.ttfbP50 - direct.stream.seq.ttfbP50;
    bars.push(row(['streaming TTFB (first body byte, p50, sequential) ≤ direct + 1 ms', `${fmt(gw.stream.seq.ttfbP50)} vs ${fmt(direct.stream.seq.ttfbP50)} ms (+${fmt(dTtfb)} ms)`, verdict(dTtfb <= 1)]));
    const dData = gw.stream.seq.firstDataP50 - direct.stream.seq.firstDataP50;
    bars.push(row(['same bar on the first `data:` event (p50, sequential)', `${fmt(gw.stream.seq.firstDataP50)} vs ${fmt(direct.stream.seq.firstDataP50)} ms (+${fmt(dData)} ms)`, verdict(dData <= 1)]));
    for (const key of ['seq', 'conc'] as const) {
      const sp = gw.stream[key].spreadMean / direct.stream[key].spreadMean;
      bars.push(row([`event spread ≥ 95 % of direct (${gw.stream[key].mode})`, `${fmt(gw.stream[key].spreadMean, 1)} vs ${fmt(direct.stream[key].spreadMean, 1)} ms = ${fmt(sp * 100, 1)} %`, verdict(sp >= 0.95)]));
    }
    if (routing) {
      const [a, b] = [pooled(routing.single), pooled(routing.many)];
      const r = b.rps / a.rps;
      bars.push(row([`routing overhead: ${routing.deployments} deployments of one model ≥ 95 % of 1 deployment's req/s (c=32)`, `${fmt(b.rps, 0)} vs ${fmt(a.rps, 0)} req/s = ${fmt(r * 100, 1)} % (CPU ${fmt(b.cpuPerReq, 0)} vs ${fmt(a.cpuPerReq, 0)} µs/req)`, verdict(r >= 0.95)]));
    }
    if (billing) bars.push(row(['gateway billed every call', billing.summary, verdict(billing.ok)]));
  }

  const cpu = os.cpus();
  const header = [
    '# Gateway benchmark results',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${os.platform()} ${os.release()}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM`,
    `- Node ${process.version}; autocannon 8 in the orchestrator process; upstream fake, plain proxy and gateway each in their own process`,
    `- Throughput runs: ${WARMUP} s warm-up then ${DURATION} s measured (c=1: ${LATENCY_DURATION} s); latencies are exact per-response times (autocannon's histogram is 1 ms-grained)`,
    `- Streaming: ${SEQ_STREAMS} sequential + ${CONC_STREAMS}×${CONC_ROUNDS} concurrent streams per target after 5 warm-up streams, upstream events ${CHUNK_DELAY} ms apart, \`include_usage\` on`,
    `- Machine load during the run: the bench's own processes used ${fmt(machine.ownCoreS, 1)} core-seconds, other processes ${machine.foreignCoreS === undefined ? 'n/a' : fmt(machine.foreignCoreS, 1)} core-seconds, over ${fmt(machine.wallS, 1)} s (${os.cpus().length} cores = ${fmt(machine.wallS * os.cpus().length, 0)} core-seconds available); 1-min load average at start ${fmt(machine.loadAvgStart, 2)}${(machine.foreignCoreS ?? 0) > 0.1 * machine.wallS ? ' — **the machine was shared during this run, so req/s and latencies are pessimistic; CPU µs/req is the steadier figure**' : ''}`,
    `- Command: \`node --import tsx bench/run.ts ${argv.join(' ')}\``.replace(/ `$/, '`'),
    '',
  ];
  const table = [...lines, '', ...(bars.length ? ['### Bars', '', ...bars] : [])].join('\n');
  const markdown = [...header, table, ''].join('\n');
  return { table, markdown };
}
