/**
 * Numbered schema migrations. Kept as code rather than loose .sql files so the bundled Electron main carries them.
 * Never edit a shipped migration: add the next number.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'core',
    sql: `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  allow_self_top_up INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

CREATE TABLE wallets (
  account_id TEXT PRIMARY KEY REFERENCES accounts(id),
  balance_micros INTEGER NOT NULL DEFAULT 0,
  locked_micros INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  CHECK (locked_micros >= 0 AND locked_micros <= balance_micros)
);

CREATE TABLE client_keys (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  rpm INTEGER,
  tpm INTEGER,
  models TEXT,
  require_signature INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
);

-- Append-only: every money move is one row, written in the same transaction as the wallet change.
CREATE TABLE ledger (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  type TEXT NOT NULL CHECK (type IN ('top_up', 'hold', 'capture', 'release', 'adjustment')),
  amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
  direction TEXT NOT NULL CHECK (direction IN ('credit', 'debit', 'lock', 'unlock')),
  balance_after_micros INTEGER NOT NULL,
  locked_after_micros INTEGER NOT NULL,
  request_id TEXT,
  note TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX ledger_account ON ledger (account_id, seq);
CREATE INDEX ledger_request ON ledger (request_id);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

CREATE TABLE holds (
  request_id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
  status TEXT NOT NULL CHECK (status IN ('active', 'settled')),
  created_at INTEGER NOT NULL,
  settled_at INTEGER
);
CREATE INDEX holds_active ON holds (status) WHERE status = 'active';

CREATE TABLE requests (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  key_id TEXT,
  source TEXT NOT NULL DEFAULT 'api',
  model TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  deployment_id TEXT,
  deployment_name TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'error', 'cancelled')),
  http_status INTEGER,
  stream INTEGER NOT NULL DEFAULT 0,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cached_tokens INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens INTEGER NOT NULL DEFAULT 0,
  total_tokens INTEGER NOT NULL DEFAULT 0,
  usage_source TEXT,
  hold_micros INTEGER NOT NULL DEFAULT 0,
  cost_micros INTEGER NOT NULL DEFAULT 0,
  shortfall_micros INTEGER NOT NULL DEFAULT 0,
  latency_ms INTEGER,
  ttft_ms INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  error_code TEXT,
  error_message TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX requests_account ON requests (account_id, seq);
CREATE INDEX requests_created ON requests (created_at);
CREATE INDEX requests_pending ON requests (status) WHERE status = 'pending';

CREATE TABLE models (
  id TEXT PRIMARY KEY,
  modality TEXT NOT NULL,
  provider TEXT NOT NULL,
  family TEXT,
  input_per_mtok_micros INTEGER,
  cached_input_per_mtok_micros INTEGER,
  cache_write_per_mtok_micros INTEGER,
  output_per_mtok_micros INTEGER,
  per_image_micros INTEGER,
  per_second_micros INTEGER,
  per_1k_chars_micros INTEGER,
  per_1k_searches_micros INTEGER,
  max_output_tokens INTEGER,
  context_window INTEGER,
  endpoints TEXT NOT NULL DEFAULT '[]',
  priced INTEGER NOT NULL DEFAULT 1,
  source TEXT NOT NULL CHECK (source IN ('catalog', 'custom')),
  price_edited_at INTEGER,
  updated_at INTEGER NOT NULL
);

-- Deployments hold a reference to their secret in the vault (secret_ref), never the value.
CREATE TABLE deployments (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  deployment TEXT NOT NULL,
  api_version TEXT,
  region TEXT,
  rpm INTEGER NOT NULL DEFAULT 0,
  tpm INTEGER NOT NULL DEFAULT 0,
  hourly_tokens INTEGER NOT NULL DEFAULT 0,
  weight INTEGER NOT NULL DEFAULT 1,
  priority INTEGER NOT NULL DEFAULT 0,
  fast_mode INTEGER NOT NULL DEFAULT 0,
  enabled INTEGER NOT NULL DEFAULT 1,
  secret_ref TEXT NOT NULL,
  secret_hint TEXT,
  options TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX deployments_model ON deployments (model);
`,
  },
  {
    version: 2,
    name: 'support tickets',
    sql: `
CREATE TABLE tickets (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  key_id TEXT,
  subject TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tickets_account ON tickets (account_id, seq);

CREATE TABLE ticket_messages (
  seq INTEGER PRIMARY KEY,
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  author TEXT NOT NULL CHECK (author IN ('client', 'admin')),
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, seq);

CREATE TABLE ticket_requests (
  ticket_id TEXT NOT NULL REFERENCES tickets(id),
  request_id TEXT NOT NULL,
  PRIMARY KEY (ticket_id, request_id)
);
`,
  },
  {
    version: 3,
    name: 'media store',
    sql: `
-- Files the gateway produced (images, audio…), served at /files/{id}. The bytes live in DATA_DIR/media/{id};
-- the id is the capability (>= 128 random bits), so there is no owner check on download.
CREATE TABLE media_files (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  request_id TEXT,
  content_type TEXT NOT NULL,
  size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
  created_at INTEGER NOT NULL
);
CREATE INDEX media_files_account ON media_files (account_id, seq);
CREATE INDEX media_files_request ON media_files (request_id);
`,
  },
  {
    version: 4,
    name: 'media jobs',
    sql: `
-- Asynchronous video / music jobs. request_id is the job's usage row and the request_id of its hold, so settling is
-- idempotent across restarts. 'submitting' = the upstream create call had not answered yet (failed after a crash).
CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('video', 'music')),
  account_id TEXT NOT NULL REFERENCES accounts(id),
  key_id TEXT,
  request_id TEXT NOT NULL UNIQUE,
  model TEXT NOT NULL,
  deployment_id TEXT,
  deployment_name TEXT,
  upstream_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('submitting', 'queued', 'in_progress', 'completed', 'failed', 'cancelled', 'expired')),
  upstream_status TEXT,
  progress INTEGER,
  params TEXT NOT NULL,
  hold_micros INTEGER NOT NULL DEFAULT 0,
  cost_micros INTEGER NOT NULL DEFAULT 0,
  result_file_id TEXT,
  outputs TEXT NOT NULL DEFAULT '[]',
  error_code TEXT,
  error_message TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  poll_errors INTEGER NOT NULL DEFAULT 0,
  next_poll_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  completed_at INTEGER,
  expired_at INTEGER
);
CREATE INDEX jobs_account ON jobs (account_id, seq);
CREATE INDEX jobs_due ON jobs (next_poll_at) WHERE status IN ('queued', 'in_progress');
CREATE INDEX jobs_completed ON jobs (completed_at) WHERE status = 'completed';
`,
  },
  {
    version: 5,
    name: 'leaner billing writes',
    sql: `
-- A hold is the pending usage row written in the same transaction: requests.hold_micros while status = 'pending'.
-- Every hold row had that twin (same amount, settled in the same transaction as the row was finished), so the table
-- goes without moving money.
DROP INDEX holds_active;
DROP TABLE holds;

-- Ledger ids are time-ordered with 128 random bits (unique by construction) and nothing looks a row up by id: the
-- unique index only cost a B-tree insert per money move. The table is rebuilt without it; rows, seq and the
-- append-only triggers are kept.
CREATE TABLE ledger_next (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  type TEXT NOT NULL CHECK (type IN ('top_up', 'hold', 'capture', 'release', 'adjustment')),
  amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
  direction TEXT NOT NULL CHECK (direction IN ('credit', 'debit', 'lock', 'unlock')),
  balance_after_micros INTEGER NOT NULL,
  locked_after_micros INTEGER NOT NULL,
  request_id TEXT,
  note TEXT,
  created_at INTEGER NOT NULL
);
INSERT INTO ledger_next (seq, id, account_id, type, amount_micros, direction, balance_after_micros, locked_after_micros, request_id, note, created_at)
  SELECT seq, id, account_id, type, amount_micros, direction, balance_after_micros, locked_after_micros, request_id, note, created_at FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_next RENAME TO ledger;
CREATE INDEX ledger_account ON ledger (account_id, seq);
CREATE INDEX ledger_request ON ledger (request_id);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
`,
  },
  {
    version: 6,
    name: 'stored responses',
    sql: `
-- Responses API objects kept for retrieval and for \`previous_response_id\`: the Response as returned (its \`output\`
-- holds the output items) and the input items of its request (without \`instructions\`, which are not carried over).
-- chain_depth and chain_bytes (this response and every one it continues) bound a conversation without walking it.
-- created_at is in milliseconds; rows older than the retention period are swept.
CREATE TABLE responses (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  model TEXT NOT NULL,
  previous_response_id TEXT,
  response TEXT NOT NULL,
  input_items TEXT NOT NULL,
  chain_depth INTEGER NOT NULL CHECK (chain_depth >= 1),
  chain_bytes INTEGER NOT NULL CHECK (chain_bytes >= 0),
  created_at INTEGER NOT NULL
);
CREATE INDEX responses_created ON responses (created_at);
`,
  },
];
