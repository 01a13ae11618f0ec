/**
 * Shapes of the gateway's admin API answers, as the gateway sends them (see docs API.md §6, §7, §10). Shared by
 * the features; each feature fetches what it needs itself.
 */

/** One request's usage row (`/admin/api/usage/requests`, the live event feed, ticket records). */
export interface UsageRecord {
  id: string;
  account_id: string;
  key_id: string | null;
  source: string;
  model: string;
  endpoint: string;
  deployment_id: string | null;
  deployment_name: string | null;
  status: 'pending' | 'ok' | 'error' | 'cancelled' | string;
  http_status: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  usage_source?: string;
  hold_micros?: number;
  cost_micros: number;
  shortfall_micros?: number;
  latency_ms: number | null;
  ttft_ms: number | null;
  attempts?: number;
  error_code: string | null;
  error_message?: string | null;
  stream: boolean;
  /** Unix seconds. */
  created_at: number;
}

/** One row of `/admin/api/usage/rollups`. */
export interface RollupRow {
  /** ISO start of the hour or day (UTC). */
  bucket: string;
  /** The model, or `*` when not grouped by model. */
  model: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
  cost_micros: number;
  avg_latency_ms?: number | null;
}

/** One ledger row. */
export interface LedgerEntry {
  id: string;
  type: 'top_up' | 'hold' | 'capture' | 'release' | 'adjustment' | string;
  amount_micros: number;
  direction?: 'credit' | 'debit' | 'lock' | 'unlock' | string;
  balance_after_micros: number;
  locked_after_micros: number;
  request_id: string | null;
  note?: string | null;
  created_at: number;
}

export interface Wallet {
  account: string;
  account_name?: string | null;
  currency: string;
  balance_micros: number;
  locked_micros: number;
  available_micros: number;
}

export interface Account {
  id: string;
  name: string;
  allow_self_top_up: boolean;
  created_at: number;
  wallet: Wallet;
}

/** A catalog model (`/admin/api/models`). Prices in USD. */
export interface ModelInfo {
  id: string;
  modality: string;
  provider: string | string[];
  pricing: Partial<Record<PriceField, number>>;
  priced: boolean;
  endpoints: string[];
  max_output_tokens: number | null;
  context_window: number | null;
}

export type PriceField =
  | 'input_per_mtok'
  | 'cached_input_per_mtok'
  | 'cache_write_per_mtok'
  | 'output_per_mtok'
  | 'per_image'
  | 'per_second'
  | 'per_1k_chars'
  | 'per_1k_searches';

/** Live state of one deployment from the router. Times in unix milliseconds. */
export interface DeploymentHealth {
  cooling_until: number | null;
  consecutive_failures: number;
  last_error: string | null;
  last_error_at: number | null;
  in_flight: number;
  p50_latency_ms: number | null;
  requests_last_minute: number;
  tokens_last_minute: number;
  tokens_last_hour: number;
}

/** One row of `/admin/api/health`. */
export interface HealthRow extends DeploymentHealth {
  id: string;
  name: string;
  model: string;
  enabled: boolean;
  limits: { rpm: number; tpm: number; hourly_tokens: number };
}

/** A deployment as `/admin/api/deployments` lists it (the secret only as a masked hint). */
export interface Deployment {
  id: string;
  name: string;
  provider: string;
  model: string;
  endpoint: string;
  deployment: string;
  apiVersion: string | null;
  region: string | null;
  rpm: number;
  tpm: number;
  hourlyTokens: number;
  weight: number;
  priority: number;
  fastMode: boolean;
  enabled: boolean;
  secretHint?: string | null;
  secret?: string | null;
  options?: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  health?: DeploymentHealth;
}

/** A client key as listed (never the key itself). */
export interface ClientKey {
  id: string;
  accountId: string;
  name: string;
  prefix: string;
  rpm: number | null;
  tpm: number | null;
  models: string[] | null;
  requireSignature: boolean;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface TicketMessage {
  author: 'client' | 'admin';
  body: string;
  created_at: number;
}

export interface Ticket {
  id: string;
  account_id: string;
  key_id: string | null;
  subject: string;
  status: 'open' | 'answered' | 'closed' | string;
  request_ids: string[];
  messages: TicketMessage[];
  created_at: number;
  updated_at: number;
}

/** `/admin/api/tickets/:id`: the ticket plus each linked request's full record. */
export interface TicketDetail extends Ticket {
  account_name: string | null;
  requests: { id: string; usage: UsageRecord | null; ledger: LedgerEntry[] }[];
}

/** A file the gateway produced (`/admin/api/media`). */
export interface MediaItem {
  id: string;
  url: string;
  content_type: string;
  size_bytes: number;
  account_id: string;
  account_name: string | null;
  request_id: string | null;
  model: string | null;
  endpoint: string | null;
  created_at: number;
}

export interface GatewaySettings {
  host: string;
  port: number;
  data_dir: string;
  secret_backend: string;
  require_signature: boolean;
  self_top_up: boolean;
  stream_chunk_bytes: number;
  stream_heartbeat_seconds: number;
  stream_flush_padding_bytes: number;
}
