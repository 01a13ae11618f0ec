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

  // The labelled children of one model × deployment, bound once: prom-client hashes a label object on every call.
  type Bound = ReturnType<typeof bind>;
  const bind = (model: string, deployment: string) => {
    const l = { model, deployment };
    return {
      requests: new Map<string, ReturnType<typeof requests.labels>>(),
      errors: new Map<string, ReturnType<typeof errors.labels>>(),
      prompt: tokens.labels({ ...l, kind: 'prompt' }),
      completion: tokens.labels({ ...l, kind: 'completion' }),
      cached: tokens.labels({ ...l, kind: 'cached' }),
      reasoning: tokens.labels({ ...l, kind: 'reasoning' }),
      cost: cost.labels(l),
      latency: latency.labels(l),
      ttft: ttft.labels(l),
      labels: l,
    };
  };
  const bound = new Map<string, Bound>();

  events.on('request', (r: UsageRecord) => {
    const deployment = r.deployment_name ?? 'none';
    const key = `${r.model}\n${deployment}`;
    let b = bound.get(key);
    if (!b) bound.set(key, (b = bind(r.model, deployment)));
    const outcome = `${r.status}\n${r.endpoint}`;
    let counter = b.requests.get(outcome);
    if (!counter) b.requests.set(outcome, (counter = requests.labels({ ...b.labels, status: r.status, endpoint: r.endpoint })));
    counter.inc();
    if (r.error_code) {
      let errorCounter = b.errors.get(r.error_code);
      if (!errorCounter) b.errors.set(r.error_code, (errorCounter = errors.labels({ ...b.labels, code: r.error_code })));
      errorCounter.inc();
    }
    if (r.prompt_tokens) b.prompt.inc(r.prompt_tokens);
    if (r.completion_tokens) b.completion.inc(r.completion_tokens);
    if (r.cached_tokens) b.cached.inc(r.cached_tokens);
    if (r.reasoning_tokens) b.reasoning.inc(r.reasoning_tokens);
    if (r.cost_micros) b.cost.inc(r.cost_micros);
    if (r.latency_ms !== null) b.latency.observe(r.latency_ms / 1000);
    if (r.ttft_ms !== null) b.ttft.observe(r.ttft_ms / 1000);
  });
  return registry;
}
