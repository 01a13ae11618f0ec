// scratch driver (perf session): node --import tsx bench/zz-quick.ts [c] [seconds] [extra gateway args...]
import { fork } from 'node:child_process';
import autocannon from 'autocannon';
const [c = '32', secs = '5', ...gwArgs] = process.argv.slice(2);
const start = (script: string, args: string[], prof = false) => new Promise<any>((res) => { const p = fork(new URL(script, import.meta.url).pathname, args, { execArgv: ['--import', 'tsx', ...(prof && process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF}`] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }); p.once('message', (m: any) => res({ p, m })); });
const ask = (ch: any, msg: object) => new Promise<any>((res) => { ch.p.once('message', res); ch.p.send(msg); });
const up = await start('./upstream.ts', []);
const gw = await start('./gateway.ts', ['--upstream', up.m.url, ...gwArgs], true);
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello to the benchmark.' }] });
const run = (d: number) => new Promise<any>((res) => { const lat: number[] = []; const i = autocannon({ url: gw.m.url + '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.m.key}` }, body, connections: Number(c), duration: d }, (_e: any, r: any) => res({ r, lat })); i.on('response', (_c: any, s: number, _b: number, ms: number) => s < 300 && lat.push(ms)); });
await run(1.5); await ask(gw, { type: 'stats' });
for (let k = 0; k < 3; k++) {
  const s0 = (await ask(gw, { type: 'stats' })).cpuUs, u0 = (await ask(up, { type: 'stats' })).cpuUs;
  const { r, lat } = await run(Number(secs));
  const st = await ask(gw, { type: 'stats' }); const u1 = (await ask(up, { type: 'stats' })).cpuUs;
  lat.sort((a, b) => a - b);
  console.log(`c=${c} ${(lat.length / Number(secs)).toFixed(0)} req/s p50 ${lat[lat.length >> 1]?.toFixed(2)} ms gw ${((st.cpuUs - s0) / lat.length).toFixed(0)} µs/req up ${((u1 - u0) / lat.length).toFixed(0)} non2xx ${r.non2xx}`, st.stages?.n ? JSON.stringify(st.stages) : '');
}
up.p.send({ type: 'stop' }); gw.p.send({ type: 'stop' }); await new Promise((r) => gw.p.once('exit', r));
