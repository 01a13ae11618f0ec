import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventEmitter } from 'node:events';
import type { UsageRecord } from './db/requests-repository.js';
import type { DeploymentRouter } from './domain/routing.js';
import type { LiveState } from './live-state.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Prometheus metrics, fed by the finished-request events (never by the hot path itself) and, for gauges, read from
 * the router when scraped. One registry per gateway so several gateways can live in one process (tests).
 */
export function createMetrics(events: EventEmitter, router: DeploymentRouter, live: LiveState): Registry {
  const registry = new Registry();
  const labels = ['model', 'deployment'] as const;
  const requests = new Counter({ name: 'omixa_requests_total', help: 'Finished requests by model, deployment and status.', labelNames: [...labels, 'status', 'endpoint'], registers: [registry] });
  const errors = new Counter({ name: 'omixa_request_errors_total', help: 'Failed requests by error code.', labelNames: [...labels, 'code'], registers: [registry] });
  const tokens = new Counter({ name: 'omixa_tokens_total', help: 'Tokens by kind (prompt, completion, cached, reasoning).', labelNames: [...labels, 'kind'], registers: [registry] });
  const cost = new Counter({ name: 'omixa_cost_micros_total', help: 'Captured cost in micro-USD.', labelNames: labels, registers: [registry] });
  const latency = new Histogram({ name: 'omixa_request_duration_seconds', help: 'Request latency until the answer was complete.', labelNames: labels, buckets: LATENCY_BUCKETS, registers: [registry] });
  const ttft = new Histogram({ name: 'omixa_time_to_first_token_seconds', help: 'Time to the first forwarded event (streams) or the answer.', labelNames: labels, buckets: LATENCY_BUCKETS, registers: [registry] });

  const now = () => Date.now();
  new Gauge({
    name: 'omixa_deployment_in_flight',
    help: 'Requests in flight per deployment.',
    labelNames: labels,
    registers: [registry],
    collect() {
      for (const d of live.allDeployments()) this.set({ model: d.model, deployment: d.name }, router.health(d.id, now()).in_flight);
    },
  });
  new Gauge({
    name: 'omixa_deployment_cooling_down',
    help: '1 while a deployment is cooling down after failures.',
    labelNames: labels,
    registers: [registry],
    collect() {
      for (const d of live.allDeployments()) this.set({ model: d.model, deployment: d.name }, router.health(d.id, now()).cooling_until ? 1 : 0);
    },
  });
  new Gauge({
    name: 'omixa_deployment_window_tokens',
    help: 'Tokens counted in the deployment windows (minute, hour).',
    labelNames: [...labels, 'window'],
    registers: [registry],
    collect() {
      for (const d of live.allDeployments()) {
        const h = router.health(d.id, now());
        this.set({ model: d.model, deployment: d.name, window: 'minute' }, h.tokens_last_minute);
        this.set({ model: d.model, deployment: d.name, window: 'hour' }, h.tokens_last_hour);
      }
    },
  });

  events.on('request', (r: UsageRecord) => {
    const l = { model: r.model, deployment: r.deployment_name ?? 'none' };
    requests.inc({ ...l, status: r.status, endpoint: r.endpoint });
    if (r.error_code) errors.inc({ ...l, code: r.error_code });
    if (r.prompt_tokens) tokens.inc({ ...l, kind: 'prompt' }, r.prompt_tokens);
    if (r.completion_tokens) tokens.inc({ ...l, kind: 'completion' }, r.completion_tokens);
    if (r.cached_tokens) tokens.inc({ ...l, kind: 'cached' }, r.cached_tokens);
    if (r.reasoning_tokens) tokens.inc({ ...l, kind: 'reasoning' }, r.reasoning_tokens);
    if (r.cost_micros) cost.inc(l, r.cost_micros);
    if (r.latency_ms !== null) latency.observe(l, r.latency_ms / 1000);
    if (r.ttft_ms !== null) ttft.observe(l, r.ttft_ms / 1000);
  });
  return registry;
}
