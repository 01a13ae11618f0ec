import type { Db } from './connection.js';
import { clampLimit, decodeCursor, toPage, type Page } from './pagination.js';

export type RequestStatus = 'pending' | 'ok' | 'error' | 'cancelled';

export interface NewRequest {
  id: string;
  accountId: string;
  keyId: string | null;
  source: 'api' | 'playground';
  model: string;
  endpoint: string;
  stream: boolean;
  holdMicros: number;
  createdAt: number;
}

export interface RequestOutcome {
  status: Exclude<RequestStatus, 'pending'>;
  httpStatus: number;
  deploymentId?: string | null;
  deploymentName?: string | null;
  promptTokens?: number;
  completionTokens?: number;
  cachedTokens?: number;
  reasoningTokens?: number;
  usageSource?: 'upstream' | 'local' | null;
  costMicros?: number;
  shortfallMicros?: number;
  latencyMs?: number;
  ttftMs?: number | null;
  attempts?: number;
  errorCode?: string | null;
  errorMessage?: string | null;
  finishedAt: number;
}

/** A usage row as the API shows it. */
export interface UsageRecord {
  id: string;
  created_at: number;
  account_id: string;
  key_id: string | null;
  source: string;
  model: string;
  endpoint: string;
  status: RequestStatus;
  http_status: number | null;
  stream: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
  cost_micros: number;
  hold_micros: number;
  shortfall_micros: number;
  latency_ms: number | null;
  ttft_ms: number | null;
  error_code: string | null;
  error_message: string | null;
  deployment_id: string | null;
  deployment_name: string | null;
  attempts: number;
  usage_source: string | null;
}

interface RequestRow extends Omit<UsageRecord, 'stream'> {
  seq: number;
  stream: number;
  finished_at: number | null;
}

export interface UsageFilter {
  accountId?: string;
  model?: string;
  status?: string;
  from?: number;
  to?: number;
  cursor?: string;
  limit?: number;
}

export interface RollupRow {
  bucket: string;
  model: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cost_micros: number;
  avg_latency_ms: number | null;
}

const toRecord = ({ seq: _seq, finished_at: _f, stream, created_at, ...rest }: RequestRow): UsageRecord => ({
  ...rest,
  stream: stream === 1,
  created_at: Math.floor(created_at / 1000),
});

export type RequestsRepository = ReturnType<typeof createRequestsRepository>;

export function createRequestsRepository(db: Db) {
  // Positional parameters (both run on every billed call): binding an argument list skips building a parameter object
  // and better-sqlite3's lookup of each named parameter in it.
  const insert = db.prepare(
    `INSERT INTO requests (id, account_id, key_id, source, model, endpoint, status, stream, hold_micros, created_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
  );
  const finish = db.prepare(
    `UPDATE requests SET status = ?, http_status = ?, deployment_id = COALESCE(?, deployment_id),
       deployment_name = COALESCE(?, deployment_name), prompt_tokens = ?, completion_tokens = ?,
       cached_tokens = ?, reasoning_tokens = ?, total_tokens = ?, usage_source = ?,
       cost_micros = ?, shortfall_micros = ?, latency_ms = ?, ttft_ms = ?, attempts = ?,
       error_code = ?, error_message = ?, finished_at = ?
     WHERE id = ? AND status = 'pending'`,
  );
  const byId = db.prepare<[string], RequestRow>('SELECT * FROM requests WHERE id = ?');
  const pendingHold = db.prepare<[string], { account_id: string; hold_micros: number }>(
    "SELECT account_id, hold_micros FROM requests WHERE id = ? AND status = 'pending'",
  );
  const pending = db.prepare<[], { id: string }>("SELECT id FROM requests WHERE status = 'pending'");
  const recentTokens = db.prepare<[number], { deployment_id: string; at: number; tokens: number }>(
    `SELECT deployment_id, (created_at / 60000) * 60000 AS at, SUM(total_tokens) AS tokens FROM requests
     WHERE created_at >= ? AND deployment_id IS NOT NULL AND total_tokens > 0 GROUP BY deployment_id, at ORDER BY at`,
  );

  return {
    insertPending(request: NewRequest): void {
      const r = request;
      insert.run(r.id, r.accountId, r.keyId, r.source, r.model, r.endpoint, r.stream ? 1 : 0, r.holdMicros, r.createdAt);
    },
    /** Writes the outcome of a pending request; false when it was already finished. */
    finish(id: string, outcome: RequestOutcome): boolean {
      const prompt = outcome.promptTokens ?? 0;
      const completion = outcome.completionTokens ?? 0;
      return (
        finish.run(
          outcome.status,
          outcome.httpStatus,
          outcome.deploymentId ?? null,
          outcome.deploymentName ?? null,
          prompt,
          completion,
          outcome.cachedTokens ?? 0,
          outcome.reasoningTokens ?? 0,
          prompt + completion,
          outcome.usageSource ?? null,
          outcome.costMicros ?? 0,
          outcome.shortfallMicros ?? 0,
          outcome.latencyMs ?? null,
          outcome.ttftMs ?? null,
          outcome.attempts ?? 0,
          outcome.errorCode ?? null,
          outcome.errorMessage ?? null,
          outcome.finishedAt,
          id,
        ).changes === 1
      );
    },
    /** The account and held amount of a pending request; undefined once it is finished. */
    pendingHold: (id: string): { account_id: string; hold_micros: number } | undefined => pendingHold.get(id),
    get(id: string): UsageRecord | undefined {
      const row = byId.get(id);
      return row ? toRecord(row) : undefined;
    },
    pendingIds: (): string[] => pending.all().map((r) => r.id),
    /** Tokens per deployment per minute since `since`, to rebuild hourly windows after a restart. */
    tokensByDeploymentSince: (since: number) => recentTokens.all(since),
    list(filter: UsageFilter): Page<UsageRecord> {
      const limit = clampLimit(filter.limit);
      const where: string[] = ['seq < @before'];
      const params: Record<string, unknown> = { before: decodeCursor(filter.cursor) ?? Number.MAX_SAFE_INTEGER, limit: limit + 1 };
      if (filter.accountId) (where.push('account_id = @accountId'), (params.accountId = filter.accountId));
      if (filter.model) (where.push('model = @model'), (params.model = filter.model));
      if (filter.status) (where.push('status = @status'), (params.status = filter.status));
      if (filter.from !== undefined) (where.push('created_at >= @from'), (params.from = filter.from));
      if (filter.to !== undefined) (where.push('created_at < @to'), (params.to = filter.to));
      const rows = db.prepare<[Record<string, unknown>], RequestRow>(`SELECT * FROM requests WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT @limit`).all(params);
      return toPage(rows, limit, toRecord);
    },
    rollups(options: { granularity: 'hour' | 'day'; from?: number; to?: number; accountId?: string; groupByModel: boolean }): RollupRow[] {
      const format = options.granularity === 'hour' ? '%Y-%m-%dT%H:00:00Z' : '%Y-%m-%dT00:00:00Z';
      const where: string[] = ["status != 'pending'"];
      const params: Record<string, unknown> = {};
      if (options.accountId) (where.push('account_id = @accountId'), (params.accountId = options.accountId));
      if (options.from !== undefined) (where.push('created_at >= @from'), (params.from = options.from));
      if (options.to !== undefined) (where.push('created_at < @to'), (params.to = options.to));
      const model = options.groupByModel ? 'model' : "'*'";
      return db
        .prepare<[Record<string, unknown>], RollupRow>(
          `SELECT strftime('${format}', created_at / 1000, 'unixepoch') AS bucket, ${model} AS model, COUNT(*) AS requests,
             SUM(CASE WHEN status = 'ok' THEN 0 ELSE 1 END) AS errors, SUM(prompt_tokens) AS prompt_tokens,
             SUM(completion_tokens) AS completion_tokens, SUM(cached_tokens) AS cached_tokens, SUM(cost_micros) AS cost_micros,
             CAST(ROUND(AVG(latency_ms)) AS INTEGER) AS avg_latency_ms
           FROM requests WHERE ${where.join(' AND ')} GROUP BY bucket, ${model} ORDER BY bucket, model`,
        )
        .all(params);
    },
  };
}
