import type { Db } from './connection.js';
import type { WalletRepository } from './wallet-repository.js';
import type { NewRequest, RequestOutcome, RequestsRepository } from './requests-repository.js';

export type BillingRepository = ReturnType<typeof createBillingRepository>;

/**
 * The two transactions of a billed request: `open` writes the pending usage row and its hold; `close` captures the
 * actual cost, releases the rest and writes the outcome. A refused request (402) leaves a finished error row and no hold.
 */
export function createBillingRepository(db: Db, wallet: WalletRepository, requests: RequestsRepository) {
  const open = db.transaction((request: NewRequest) => {
    requests.insertPending(request);
    wallet.holdInTx(request.accountId, request.id, request.holdMicros, request.createdAt);
  });

  const close = db.transaction((id: string, outcome: RequestOutcome, costMicros: number) => {
    const settled = wallet.settleInTx(id, costMicros, outcome.finishedAt);
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
    /** Releases the holds of requests that never finished (after a crash); returns how many. */
    releaseUnfinished(now = Date.now(), ids: readonly string[] = requests.pendingIds()): number {
      for (const id of ids) {
        close.immediate(id, { status: 'error', httpStatus: 0, errorCode: 'interrupted', errorMessage: 'the gateway stopped before the request finished', finishedAt: now }, 0);
      }
      return ids.length;
    },
  };
}
