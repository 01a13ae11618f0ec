import type { Transaction } from 'better-sqlite3';
import type { Db } from './connection.js';
import { InsufficientBalanceError, type WalletRepository } from './wallet-repository.js';
import type { NewRequest, RequestOutcome, RequestsRepository } from './requests-repository.js';

export type BillingRepository = ReturnType<typeof createBillingRepository>;

/**
 * The two transactions of a billed request: `open` writes the pending usage row and locks its hold in the wallet;
 * `close` captures the actual cost, releases the rest and writes the outcome. The pending row is the hold's record
 * (`hold_micros` while `status = 'pending'`), so a hold is settled exactly once: when its row is finished. A refused
 * request (402) leaves a finished error row and no hold.
 */
export function createBillingRepository(db: Db, wallet: WalletRepository, requests: RequestsRepository) {
  // A refused hold throws before its open has written anything (the wallet check comes first), so the group commit
  // can carry on with the other operations of the group.
  const batch = createCommitBatch(db, (err) => err instanceof InsufficientBalanceError);
  /** Calls opened through the batched API and not closed yet: the load signal that decides whether grouping pays. */
  let openCalls = 0;
  const open = batchable(db, (request: NewRequest) => {
    wallet.holdInTx(request.accountId, request.id, request.holdMicros, request.createdAt);
    requests.insertPending(request);
  });

  const close = batchable(db, (id: string, outcome: RequestOutcome, costMicros: number) => {
    const hold = requests.pendingHold(id);
    const settled = hold ? wallet.settleInTx(hold.account_id, id, hold.hold_micros, costMicros, outcome.finishedAt) : undefined;
    const captured = settled?.capturedMicros ?? 0;
    requests.finish(id, { ...outcome, costMicros: captured, shortfallMicros: settled?.shortfallMicros ?? 0 });
    return settled;
  });

  const recordRefused = batchable(db, (request: NewRequest, outcome: RequestOutcome) => {
    requests.insertPending({ ...request, holdMicros: 0 });
    requests.finish(request.id, outcome);
  });

  return {
    /** Opens a request with its hold; throws InsufficientBalanceError (nothing written) when the wallet is short. */
    open: (request: NewRequest): void => open.tx.immediate(request),
    /** Settles the hold against `costMicros` (0 for failures) and records the outcome. Idempotent. */
    close: (id: string, outcome: RequestOutcome, costMicros: number) => close.tx.immediate(id, outcome, costMicros),
    recordRefused: (request: NewRequest, outcome: RequestOutcome): void => recordRefused.tx(request, outcome),
    /**
     * `open`, group-committed: every open and close queued in the same event-loop turn shares one SQLite transaction
     * (a refusal writes nothing, so it fails alone). Resolves once committed, before the upstream is called; rejects
     * with InsufficientBalanceError exactly as `open` throws. A call alone in the gateway commits
     * at once: there is nothing to group it with, and waiting for the turn to end would only add to its latency.
     */
    openBatched(request: NewRequest): Promise<void> {
      const alone = openCalls++ === 0;
      return batch.run(open, [request], alone).catch((err: unknown) => {
        openCalls = Math.max(0, openCalls - 1);
        throw err;
      });
    },
    /** `close`, group-committed; resolves once the capture is durable, before the client sees the answer. */
    closeBatched(id: string, outcome: RequestOutcome, costMicros: number) {
      const alone = openCalls <= 1;
      return batch.run(close, [id, outcome, costMicros], alone).finally(() => (openCalls = Math.max(0, openCalls - 1)));
    },
    /** `recordRefused`, group-committed. */
    recordRefusedBatched: (request: NewRequest, outcome: RequestOutcome): Promise<void> => batch.run(recordRefused, [request, outcome], openCalls === 0),
    /** Releases the holds of requests that never finished (after a crash); returns how many. */
    releaseUnfinished(now = Date.now(), ids: readonly string[] = requests.pendingIds()): number {
      for (const id of ids) {
        close.tx.immediate(id, { status: 'error', httpStatus: 0, errorCode: 'interrupted', errorMessage: 'the gateway stopped before the request finished', finishedAt: now }, 0);
      }
      return ids.length;
    },
  };
}

/** A transaction body with its better-sqlite3 transaction: the group commit runs the bare body inside its own. */
interface Batchable<A extends unknown[], T> {
  body: (...args: A) => T;
  tx: Transaction<(...args: A) => T>;
}

function batchable<A extends unknown[], T>(db: Db, body: (...args: A) => T): Batchable<A, T> {
  return { body, tx: db.transaction(body) };
}

interface QueuedOp {
  op: Batchable<any[], unknown>;
  args: unknown[];
  resolve: (value: any) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit. A commit costs the same few dozen page writes whether it carries one request or twenty (the wallet row,
 * index leaves and the WAL frame header are shared), so under load the operations of one event-loop turn are committed
 * together. The money rules are unchanged: each operation still runs whole, in order, inside the transaction, and its
 * caller goes on only after the commit. Callers that know they are alone ask for an immediate commit (`run(…, true)`).
 *
 * The operations run bare, without a savepoint each (a savepoint costs two more statements and a copy of every page
 * it touches). An error that `failsCleanly` accepts was thrown before its operation wrote anything: that operation
 * fails alone. Any other error may leave part of its operation written, so the whole group is rolled back and each
 * operation then runs in its own transaction: the one at fault fails alone there, the others commit.
 */
function createCommitBatch(db: Db, failsCleanly: (err: unknown) => boolean) {
  let queue: QueuedOp[] = [];
  let scheduled = false;

  const commitAlone = ({ op, args, resolve, reject }: QueuedOp): void => {
    let value: unknown;
    try {
      value = op.tx.immediate(...args);
    } catch (err) {
      reject(err);
      return;
    }
    resolve(value);
  };

  /** Runs the group's bodies in order; a clean failure is recorded, any other error escapes and rolls back all. */
  const runGroup = db.transaction((ops: QueuedOp[], results: { ok: boolean; value: unknown }[]) => {
    for (const { op, args } of ops) {
      try {
        results.push({ ok: true, value: op.body(...args) });
      } catch (err) {
        if (!failsCleanly(err)) throw new GroupOpFailed(err);
        results.push({ ok: false, value: err });
      }
    }
  });

  const flush = (): void => {
    scheduled = false;
    const ops = queue;
    queue = [];
    // Alone in its turn (the usual case at low load): the operation is the transaction.
    if (ops.length === 1) return commitAlone(ops[0]!);
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      runGroup.immediate(ops, results);
    } catch (err) {
      if (err instanceof GroupOpFailed) {
        // Nothing of the group was committed: run each operation alone, so that only the faulty one fails.
        for (const op of ops) commitAlone(op);
      } else {
        // The transaction itself failed (BEGIN or COMMIT): nothing was committed, and running alone would fail alike.
        for (const op of ops) op.reject(err);
      }
      return;
    }
    ops.forEach((op, i) => (results[i]!.ok ? op.resolve(results[i]!.value) : op.reject(results[i]!.value)));
  };

  return {
    /**
     * Runs `op` with `args` in the next group commit; resolves with its result once committed.
     * `now`: commit at once instead, unless a group is already waiting (its operations go first, in order).
     */
    run<A extends unknown[], T>(op: Batchable<A, T>, args: A, now = false): Promise<T> {
      if (now && !scheduled) {
        try {
          return Promise.resolve(op.tx.immediate(...args));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      return new Promise<T>((resolve, reject) => {
        queue.push({ op: op as Batchable<any[], unknown>, args, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}

/** Carries an operation's error out of the group's transaction, so that the group is rolled back and replayed. */
class GroupOpFailed extends Error {
  constructor(readonly opError: unknown) {
    super('an operation of the group commit failed');
  }
}
