import type { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayConfig } from '../config.js';
import type { Store } from '../db/store.js';
import type { LiveState } from '../live-state.js';
import type { Router } from '../domain/routing.js';
import type { UpstreamClient } from '../providers/http.js';
import type { FamilyTable } from '../domain/reasoning.js';
import type { KeyLimits, KeyRateLimiter } from '../domain/windows.js';

/** What the request pipelines need, built once by `createGateway`. */
export interface PipelineContext {
  config: GatewayConfig;
  store: Store;
  live: LiveState;
  router: Router;
  upstream: UpstreamClient;
  families: FamilyTable;
  limiter: KeyRateLimiter;
  /** Emits `request` with each finished usage record, for the dashboard's live feed. */
  events: EventEmitter;
  log: FastifyBaseLogger;
  /** Streams in flight, so a graceful stop can wait for them. */
  inFlight: Set<Promise<unknown>>;
}

/** Who is calling and on whose wallet. */
export interface Principal {
  accountId: string;
  keyId: string | null;
  source: 'api' | 'playground';
  allowedModels: readonly string[] | null;
  limits: KeyLimits | null;
}
