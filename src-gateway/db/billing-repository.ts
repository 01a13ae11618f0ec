import type { Transaction } from 'better-sqlite3';
import type { Db } from './connection.js';
import type { WalletRepository } from './wallet-repository.js';
import type { NewRequest, RequestOutcome, RequestsRepository } from './requests-repository.js';

export type BillingRepository = ReturnType<typeof createBillingRepository>;

/**
 * The two transactions of a billed request: `open` writes the pending usage row and locks its hold in the wallet;
 * `close` captures the actual cost, releases the rest and writes the outcome. The pending row is the hold's record
 * (`hold_micros` while `status = 'pending'`), so a hold is settled exactly once: when its row is finished. A refused
 * request (402) leaves a finished error row and no hold.
 */
export function createBillingRepository(db: Db, wallet: WalletRepository, requests: RequestsRepository) {
  const batch = createCommitBatch(db);
  /** Calls opened through the batched API and not closed yet: the load signal that decides whether grouping pays. */
  let openCalls = 0;
  const open = db.transaction((request: NewRequest) => {
    requests.insertPending(request);
    wallet.holdInTx(request.accountId, request.id, request.holdMicros, request.createdAt);
  });

  const close = db.transaction((id: string, outcome: RequestOutcome, costMicros: number) => {
    const hold = requests.pendingHold(id);
    const settled = hold ? wallet.settleInTx(hold.account_id, id, hold.hold_micros, costMicros, outcome.finishedAt) : undefined;
    const captured = settled?.capturedMicros ?? 0;
    requests.finish(id, { ...outcome, costMicros: captured, shortfallMicros: settled?.shortfallMicros ?? 0 });
    return settled;
  });

  const recordRefused = db.transaction((request: NewRequest, outcome: RequestOutcome) => {
    requests.insertPending({ ...request, holdMicros: 0 });
    requests.finish(request.id, outcome);
  });

  return {
    /** Opens a request with its hold; throws InsufficientBalanceError (nothing written) when the wallet is short. */
    open: (request: NewRequest): void => open.immediate(request),
    /** Settles the hold against `costMicros` (0 for failures) and records the outcome. Idempotent. */
    close: (id: string, outcome: RequestOutcome, costMicros: number) => close.immediate(id, outcome, costMicros),
    recordRefused: (request: NewRequest, outcome: RequestOutcome): void => recordRefused(request, outcome),
    /**
     * `open`, group-committed: every open and close queued in the same event-loop turn shares one SQLite transaction
     * (each in its own savepoint, so one refusal rolls back only itself). Resolves once committed, before the upstream
     * is called; rejects with InsufficientBalanceError exactly as `open` throws. A call alone in the gateway commits
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
        close.immediate(id, { status: 'error', httpStatus: 0, errorCode: 'interrupted', errorMessage: 'the gateway stopped before the request finished', finishedAt: now }, 0);
      }
      return ids.length;
    },
  };
}

interface QueuedOp {
  tx: Transaction<(...args: any[]) => unknown>;
  args: unknown[];
  resolve: (value: any) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit. A commit costs the same few dozen page writes whether it carries one request or twenty (the wallet row,
 * index leaves and the WAL frame header are shared), so under load the operations of one event-loop turn are committed
 * together. The money rules are unchanged: each operation still runs whole, in order, inside the transaction, and its
 * caller goes on only after the commit. Callers that know they are alone ask for an immediate commit (`run(…, true)`).
 */
function createCommitBatch(db: Db) {
  let queue: QueuedOp[] = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    const ops = queue;
    queue = [];
    if (ops.length === 1) {
      // Alone in its turn (the usual case at low load): the operation is the transaction, with no savepoint around it.
      // Same all-or-nothing, but no SAVEPOINT/RELEASE and no sub-journal copy of every page it touches.
      const op = ops[0]!;
      let value: unknown;
      try {
        value = op.tx.immediate(...op.args);
      } catch (err) {
        op.reject(err);
        return;
      }
      op.resolve(value);
      return;
    }
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      db.transaction(() => {
        for (const op of ops) {
          try {
            // A nested better-sqlite3 transaction is a savepoint: a throwing op undoes only its own writes.
            results.push({ ok: true, value: op.tx(...op.args) });
          } catch (err) {
            results.push({ ok: false, value: err });
          }
        }
      }).immediate();
    } catch (err) {
      for (const op of ops) op.reject(err);
      return;
    }
    ops.forEach((op, i) => (results[i]!.ok ? op.resolve(results[i]!.value) : op.reject(results[i]!.value)));
  };

  return {
    /**
     * Runs the transaction function `tx(...args)` in the next group commit; resolves with its result once committed.
     * `now`: commit at once instead, unless a group is already waiting (its operations go first, in order).
     */
    run<A extends unknown[], T>(tx: Transaction<(...args: A) => T>, args: A, now = false): Promise<T> {
      if (now && !scheduled) {
        try {
          return Promise.resolve(tx.immediate(...args));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      return new Promise<T>((resolve, reject) => {
        queue.push({ tx: tx as Transaction<(...args: any[]) => unknown>, args, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
