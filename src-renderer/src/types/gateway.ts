/**
 * Shapes of the gateway's admin API answers, as the gateway sends them (see docs API.md §6, §7, §10). Shared by
 * the features; each feature fetches what it needs itself.
 */

// The shapes the gateway's own modules define are taken from them (type-only: nothing of the gateway is bundled).
export type { UsageRecord, RollupRow } from '../../../src-gateway/db/requests-repository';
export type { LedgerEntry } from '../../../src-gateway/db/wallet-repository';
export type { DeploymentHealth } from '../../../src-gateway/domain/routing';
export type { Ticket, TicketMessage } from '../../../src-gateway/db/tickets-repository';
export type { ClientKeyRecord as ClientKey } from '../../../src-gateway/db/keys-repository';
import type { UsageRecord } from '../../../src-gateway/db/requests-repository';
import type { LedgerEntry } from '../../../src-gateway/db/wallet-repository';
import type { DeploymentHealth } from '../../../src-gateway/domain/routing';
import type { Ticket } from '../../../src-gateway/db/tickets-repository';
import type { DeploymentView } from '../../../src-gateway/control-plane';

/** A deployment as `/admin/api/deployments` lists it (the secret only as a masked hint), with its live health. */
export type Deployment = DeploymentView & { health?: DeploymentHealth };

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
  /** The provider of the deployment the router favours (or the catalog's when none is enabled). */
  provider: string;
  /** Every provider of the model's enabled deployments, favoured first (or the catalog's alone). */
  providers: string[];
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

/** One row of `/admin/api/health`. */
export interface HealthRow extends DeploymentHealth {
  id: string;
  name: string;
  model: string;
  enabled: boolean;
  limits: { rpm: number; tpm: number; hourly_tokens: number };
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
