import type { Db } from './connection.js';
import type { BillingRepository } from './billing-repository.js';
import type { NewRequest, RequestOutcome } from './requests-repository.js';
import { clampLimit, decodeCursor, toPage, type Page } from './pagination.js';
import type { JobKind, JobStatus } from '../domain/media-jobs.js';

/** The stored status: the client-facing ones plus `submitting` (the upstream create call has not answered yet). */
export type StoredJobStatus = JobStatus | 'submitting';

/** One produced clip, as kept with the job. */
export interface JobFile {
  fileId: string;
  /** The seconds billed for this clip (reported by the upstream, else requested). */
  seconds: number;
  contentType: string;
  sizeBytes: number;
}

/** A job as stored. Times are unix milliseconds. */
export interface JobRecord {
  seq: number;
  id: string;
  kind: JobKind;
  accountId: string;
  keyId: string | null;
  requestId: string;
  model: string;
  deploymentId: string | null;
  deploymentName: string | null;
  upstreamId: string | null;
  status: StoredJobStatus;
  upstreamStatus: string | null;
  progress: number | null;
  /** The validated request (JSON of `JobParams`). */
  params: Record<string, unknown>;
  holdMicros: number;
  costMicros: number;
  resultFileId: string | null;
  outputs: JobFile[];
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
  pollErrors: number;
  nextPollAt: number | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  expiredAt: number | null;
}

interface JobRow {
  seq: number;
  id: string;
  kind: JobKind;
  account_id: string;
  key_id: string | null;
  request_id: string;
  model: string;
  deployment_id: string | null;
  deployment_name: string | null;
  upstream_id: string | null;
  status: StoredJobStatus;
  upstream_status: string | null;
  progress: number | null;
  params: string;
  hold_micros: number;
  cost_micros: number;
  result_file_id: string | null;
  outputs: string;
  error_code: string | null;
  error_message: string | null;
  attempts: number;
  poll_errors: number;
  next_poll_at: number | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  expired_at: number | null;
}

const toRecord = (r: JobRow): JobRecord => ({
  seq: r.seq,
  id: r.id,
  kind: r.kind,
  accountId: r.account_id,
  keyId: r.key_id,
  requestId: r.request_id,
  model: r.model,
  deploymentId: r.deployment_id,
  deploymentName: r.deployment_name,
  upstreamId: r.upstream_id,
  status: r.status,
  upstreamStatus: r.upstream_status,
  progress: r.progress,
  params: JSON.parse(r.params) as Record<string, unknown>,
  holdMicros: r.hold_micros,
  costMicros: r.cost_micros,
  resultFileId: r.result_file_id,
  outputs: JSON.parse(r.outputs) as JobFile[],
  errorCode: r.error_code,
  errorMessage: r.error_message,
  attempts: r.attempts,
  pollErrors: r.poll_errors,
  nextPollAt: r.next_poll_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  completedAt: r.completed_at,
  expiredAt: r.expired_at,
});

/** A new job: its row and the usage row + hold it opens. */
export interface NewJob {
  id: string;
  kind: JobKind;
  params: Record<string, unknown>;
  request: NewRequest;
}

/** How a job ends: its final status, what the client sees, and the usage row's outcome with the cost to capture. */
export interface JobEnding {
  status: 'completed' | 'failed' | 'cancelled';
  outputs?: JobFile[];
  errorCode?: string | null;
  errorMessage?: string | null;
  upstreamStatus?: string | null;
  outcome: RequestOutcome;
  costMicros: number;
}

export interface JobFilter {
  accountId?: string;
  kind?: string;
  status?: string;
  model?: string;
  from?: number;
  to?: number;
  cursor?: string;
  limit?: number;
}

const RUNNING = "('submitting', 'queued', 'in_progress')";

export type JobsRepository = ReturnType<typeof createJobsRepository>;

/**
 * Jobs and the money they move. A job opens its usage row and hold in the same transaction that inserts it, and
 * closes them in the same transaction that ends it, conditional on the job still running: a job ends once, whoever
 * (the poller, a cancel, the recovery after a crash) gets there first.
 */
export function createJobsRepository(db: Db, billing: BillingRepository) {
  const insert = db.prepare(
    `INSERT INTO jobs (id, kind, account_id, key_id, request_id, model, status, params, hold_micros, created_at, updated_at)
     VALUES (@id, @kind, @accountId, @keyId, @requestId, @model, 'submitting', @params, @holdMicros, @now, @now)`,
  );
  const byId = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?');
  const submitted = db.prepare(
    `UPDATE jobs SET status = 'queued', deployment_id = @deploymentId, deployment_name = @deploymentName, upstream_id = @upstreamId,
       next_poll_at = @nextPollAt, updated_at = @now WHERE id = @id AND status = 'submitting'`,
  );
  const attempted = db.prepare("UPDATE jobs SET deployment_id = ?, deployment_name = ?, updated_at = ? WHERE id = ? AND status = 'submitting'");
  const polled = db.prepare(
    `UPDATE jobs SET status = @status, upstream_status = @upstreamStatus, progress = @progress, attempts = @attempts, poll_errors = @pollErrors,
       next_poll_at = @nextPollAt, updated_at = @now WHERE id = @id AND status IN ('queued', 'in_progress')`,
  );
  const ended = db.prepare(
    `UPDATE jobs SET status = @status, upstream_status = COALESCE(@upstreamStatus, upstream_status), outputs = @outputs, result_file_id = @resultFileId,
       cost_micros = @costMicros, error_code = @errorCode, error_message = @errorMessage, next_poll_at = NULL, progress = @progress,
       completed_at = @now, updated_at = @now WHERE id = @id AND status IN ${RUNNING}`,
  );
  const due = db.prepare<[number, number], JobRow>(
    "SELECT * FROM jobs WHERE status IN ('queued', 'in_progress') AND next_poll_at <= ? ORDER BY next_poll_at LIMIT ?",
  );
  const nextDue = db.prepare<[], { at: number | null }>("SELECT MIN(next_poll_at) AS at FROM jobs WHERE status IN ('queued', 'in_progress')");
  const pollAllNow = db.prepare("UPDATE jobs SET next_poll_at = ? WHERE status IN ('queued', 'in_progress')");
  const claim = db.prepare("UPDATE jobs SET next_poll_at = ? WHERE id = ? AND status IN ('queued', 'in_progress')");
  const submitting = db.prepare<[], JobRow>("SELECT * FROM jobs WHERE status = 'submitting'");
  const runningRequests = db.prepare<[], { request_id: string }>(`SELECT request_id FROM jobs WHERE status IN ${RUNNING}`);
  const expirable = db.prepare<[number, number], JobRow>("SELECT * FROM jobs WHERE status = 'completed' AND completed_at < ? ORDER BY completed_at LIMIT ?");
  const expired = db.prepare("UPDATE jobs SET status = 'expired', expired_at = ?, updated_at = ? WHERE id = ? AND status = 'completed'");
  const filesOfRequest = db.prepare<[string], { id: string }>('SELECT id FROM media_files WHERE request_id = ?');
  const deleteFile = db.prepare('DELETE FROM media_files WHERE id = ?');

  const open = db.transaction((job: NewJob) => {
    billing.open(job.request);
    insert.run({ id: job.id, kind: job.kind, accountId: job.request.accountId, keyId: job.request.keyId, requestId: job.request.id, model: job.request.model, params: JSON.stringify(job.params), holdMicros: job.request.holdMicros, now: job.request.createdAt });
  });

  const end = db.transaction((id: string, ending: JobEnding): boolean => {
    const row = byId.get(id);
    if (!row || !['submitting', 'queued', 'in_progress'].includes(row.status)) return false;
    const settled = billing.close(row.request_id, ending.outcome, ending.costMicros);
    const outputs = ending.outputs ?? [];
    ended.run({
      id,
      status: ending.status,
      upstreamStatus: ending.upstreamStatus ?? null,
      outputs: JSON.stringify(outputs),
      resultFileId: outputs[0]?.fileId ?? null,
      costMicros: settled?.capturedMicros ?? 0,
      errorCode: ending.errorCode ?? null,
      errorMessage: ending.errorMessage ?? null,
      progress: ending.status === 'completed' ? 100 : row.progress,
      now: ending.outcome.finishedAt,
    });
    return true;
  });

  return {
    /** Inserts a `submitting` job with its usage row and hold; throws InsufficientBalanceError (nothing written) when short. */
    open: (job: NewJob): void => open.immediate(job),
    get(id: string): JobRecord | undefined {
      const row = byId.get(id);
      return row ? toRecord(row) : undefined;
    },
    /** Notes the deployment a `submitting` job is being sent to (so a crash leaves a trace of where). */
    attempting(id: string, deploymentId: string, deploymentName: string, now = Date.now()): void {
      attempted.run(deploymentId, deploymentName, now, id);
    },
    /** The upstream accepted the job: it is `queued` there, polled from `nextPollAt`. */
    submitted(id: string, input: { deploymentId: string; deploymentName: string; upstreamId: string; nextPollAt: number }, now = Date.now()): boolean {
      return submitted.run({ id, ...input, now }).changes === 1;
    },
    /** Records a poll of a running job; false when the job ended meanwhile. */
    polled(id: string, input: { status: 'queued' | 'in_progress'; upstreamStatus: string | null; progress: number | null; attempts: number; pollErrors: number; nextPollAt: number }, now = Date.now()): boolean {
      return polled.run({ id, ...input, now }).changes === 1;
    },
    /** Ends a running job and settles its hold, in one transaction; false (nothing changed) when it had already ended. */
    end: (id: string, ending: JobEnding): boolean => end.immediate(id, ending),
    /** Running jobs whose next poll is due. */
    due: (now: number, limit: number): JobRecord[] => due.all(now, limit).map(toRecord),
    /** When the next running job is due, or null when none runs. */
    nextDueAt: (): number | null => nextDue.get()?.at ?? null,
    /** Moves a job's next poll to `until` while it is being worked on, so the scheduler does not pick it twice. */
    claim: (id: string, until: number): boolean => claim.run(until, id).changes === 1,
    /** After a restart: every running job is polled at once. */
    pollAllAt: (at: number): number => pollAllNow.run(at).changes,
    /** Jobs whose upstream create call never answered (left by a crash). */
    submitting: (): JobRecord[] => submitting.all().map(toRecord),
    /** The usage rows of running jobs: pending by design, not leftovers of a crash. */
    runningRequestIds: (): Set<string> => new Set(runningRequests.all().map((r) => r.request_id)),
    expirable: (cutoff: number, limit: number): JobRecord[] => expirable.all(cutoff, limit).map(toRecord),
    markExpired: (id: string, now = Date.now()): boolean => expired.run(now, now, id).changes === 1,
    /** Media rows saved under a request (files of a download a crash interrupted before the job recorded them). */
    fileIdsOfRequest: (requestId: string): string[] => filesOfRequest.all(requestId).map((r) => r.id),
    deleteFileRow: (fileId: string): void => {
      deleteFile.run(fileId);
    },
    list(filter: JobFilter): Page<JobRecord> {
      const limit = clampLimit(filter.limit);
      const where: string[] = ['seq < @before'];
      const params: Record<string, unknown> = { before: decodeCursor(filter.cursor) ?? Number.MAX_SAFE_INTEGER, limit: limit + 1 };
      if (filter.accountId) (where.push('account_id = @accountId'), (params.accountId = filter.accountId));
      if (filter.kind) (where.push('kind = @kind'), (params.kind = filter.kind));
      if (filter.status) (where.push('status = @status'), (params.status = filter.status));
      if (filter.model) (where.push('model = @model'), (params.model = filter.model));
      if (filter.from !== undefined) (where.push('created_at >= @from'), (params.from = filter.from));
      if (filter.to !== undefined) (where.push('created_at < @to'), (params.to = filter.to));
      const rows = db.prepare<[Record<string, unknown>], JobRow>(`SELECT * FROM jobs WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT @limit`).all(params);
      return toPage(rows, limit, toRecord);
    },
  };
}
