/**
 * The router's own cost per call with 50 deployments of one model against one: `plan` + `begin` + `finish`, in
 * process, no HTTP. Run: `node --import tsx bench/router-plan.ts`.
 */
import { DeploymentRouter } from '../src-gateway/domain/routing.js';

const CALLS = 100_000;
const deployments = Array.from({ length: 50 }, (_, i) => ({ id: `d${i}`, model: 'm', enabled: true, priority: 0, weight: 1, rpm: 0, tpm: 0, hourlyTokens: 0 }));

for (const [label, list] of [['50 deployments', deployments], ['1 deployment', deployments.slice(0, 1)]] as const) {
  const router = new DeploymentRouter();
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const now = Date.now();
    const [first] = router.plan(list, 100, now);
    router.finish(router.begin(first!.id, 100, now), 120, 1, now);
  }
  console.log(`${label}: ${(((performance.now() - started) / CALLS) * 1000).toFixed(2)} µs per plan + begin + finish`);
}
