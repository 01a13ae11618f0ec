import type { Db } from './connection.js';
import { newSortableId } from '../ids.js';
import * as wallet from '../domain/wallet.js';
import type { LedgerMove, WalletState } from '../domain/wallet.js';
import { clampLimit, decodeCursor, toPage, type Page } from './pagination.js';

export interface LedgerEntry {
  id: string;
  type: wallet.LedgerType;
  direction: wallet.LedgerDirection;
  amount_micros: number;
  balance_after_micros: number;
  locked_after_micros: number;
  request_id: string | null;
  note: string | null;
  created_at: number;
}

interface LedgerRow extends Omit<LedgerEntry, 'created_at'> {
  seq: number;
  account_id: string;
  created_at: number;
}

interface WalletRow {
  balance_micros: number;
  locked_micros: number;
}

export class InsufficientBalanceError extends Error {
  override name = 'InsufficientBalanceError';
  constructor(readonly availableMicros: number, readonly requiredMicros: number) {
    super('Wallet balance is not enough for this request.');
  }
}

export type WalletRepository = ReturnType<typeof createWalletRepository>;

/**
 * Wallet and ledger. Every money move happens in one `db.transaction` that changes the wallet row and appends its
 * ledger row(s); the arithmetic comes from the pure `domain/wallet` rules.
 */
export function createWalletRepository(db: Db) {
  const getWallet = db.prepare<[string], WalletRow>('SELECT balance_micros, locked_micros FROM wallets WHERE account_id = ?');
  const setWallet = db.prepare('UPDATE wallets SET balance_micros = ?, locked_micros = ?, updated_at = ? WHERE account_id = ?');
  const insertLedger = db.prepare(
    `INSERT INTO ledger (id, account_id, type, amount_micros, direction, balance_after_micros, locked_after_micros, request_id, note, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const page = db.prepare<[string, number, number], LedgerRow>('SELECT * FROM ledger WHERE account_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?');
  const totals = db.prepare<[string], { type: string; direction: string; total: number }>(
    'SELECT type, direction, COALESCE(SUM(amount_micros), 0) AS total FROM ledger WHERE account_id = ? GROUP BY type, direction',
  );
  // Active holds are the pending usage rows (see billing-repository).
  const activeHoldTotal = db.prepare<[string], { total: number }>(
    "SELECT COALESCE(SUM(hold_micros), 0) AS total FROM requests WHERE status = 'pending' AND account_id = ?",
  );
  const accountIds = db.prepare<[], { account_id: string }>('SELECT account_id FROM wallets');
  const byRequest = db.prepare<[string], LedgerRow>('SELECT * FROM ledger WHERE request_id = ? ORDER BY seq');

  function read(accountId: string): WalletState {
    const row = getWallet.get(accountId);
    if (!row) throw new RangeError(`no wallet for account ${accountId}`);
    return { balanceMicros: row.balance_micros, lockedMicros: row.locked_micros };
  }

  function apply(accountId: string, state: WalletState, moves: LedgerMove[], requestId: string | null, note: string | null, now: number): void {
    setWallet.run(state.balanceMicros, state.lockedMicros, now, accountId);
    for (const m of moves) {
      insertLedger.run(newSortableId('txn', now), accountId, m.type, m.amountMicros, m.direction, m.balanceAfterMicros, m.lockedAfterMicros, requestId, note, now);
    }
  }

  const topUpTx = db.transaction((accountId: string, amountMicros: number, note: string | null) => {
    const result = wallet.topUp(read(accountId), amountMicros);
    apply(accountId, result.state, result.moves, null, note, Date.now());
    return result.state;
  });

  const adjustTx = db.transaction((accountId: string, deltaMicros: number, note: string | null) => {
    const result = wallet.adjust(read(accountId), deltaMicros);
    apply(accountId, result.state, result.moves, null, note, Date.now());
    return result.state;
  });

  /**
   * Locks `amount` for `requestId`; throws InsufficientBalanceError, before writing anything, when available is short.
   * Run inside a transaction that also writes the request's pending usage row: that row is the hold's record until the
   * request is settled.
   */
  function holdInTx(accountId: string, requestId: string, amountMicros: number, now: number): WalletState {
    const state = read(accountId);
    const result = wallet.hold(state, amountMicros);
    if (!result) throw new InsufficientBalanceError(wallet.availableMicros(state), amountMicros);
    apply(accountId, result.state, result.moves, requestId, null, now);
    return result.state;
  }

  /** Settles a hold of `holdMicros` against `costMicros`. Run inside the transaction that finishes the request's row. */
  function settleInTx(accountId: string, requestId: string, holdMicros: number, costMicros: number, now: number): wallet.SettleResult {
    const result = wallet.settle(read(accountId), holdMicros, costMicros);
    apply(accountId, result.state, result.moves, requestId, null, now);
    return result;
  }

  function violations(accountId: string): string[] {
    const sums = { topUpMicros: 0, adjustmentCreditMicros: 0, adjustmentDebitMicros: 0, captureMicros: 0 };
    for (const row of totals.all(accountId)) {
      if (row.type === 'top_up') sums.topUpMicros += row.total;
      else if (row.type === 'adjustment' && row.direction === 'credit') sums.adjustmentCreditMicros += row.total;
      else if (row.type === 'adjustment') sums.adjustmentDebitMicros += row.total;
      else if (row.type === 'capture') sums.captureMicros += row.total;
    }
    return wallet.walletViolations(read(accountId), sums, activeHoldTotal.get(accountId)!.total);
  }

  return {
    get: (accountId: string): WalletState => read(accountId),
    // IMMEDIATE, like billing's open/close: a deferred transaction reads the wallet, then fails at once with SQLITE_BUSY
    // ("database is locked", no busy wait) when another process (the server, the CLI) committed in between.
    topUp: (accountId: string, amountMicros: number, note: string | null = null): WalletState => topUpTx.immediate(accountId, amountMicros, note),
    adjust: (accountId: string, deltaMicros: number, note: string | null = null): WalletState => adjustTx.immediate(accountId, deltaMicros, note),
    holdInTx,
    settleInTx,
    transactions(accountId: string, options: { cursor?: string; limit?: number } = {}): Page<LedgerEntry> {
      const limit = clampLimit(options.limit);
      const before = decodeCursor(options.cursor) ?? Number.MAX_SAFE_INTEGER;
      return toPage(page.all(accountId, before, limit + 1), limit, ({ seq: _seq, account_id: _a, ...entry }) => ({
        ...entry,
        created_at: Math.floor(entry.created_at / 1000),
      }));
    },
    /** The ledger rows of one request, oldest first. */
    forRequest: (requestId: string): LedgerEntry[] =>
      byRequest.all(requestId).map(({ seq: _seq, account_id: _a, ...entry }) => ({ ...entry, created_at: Math.floor(entry.created_at / 1000) })),
    /** Ledger invariants of one account (empty when sound). */
    violations,
    /** Ledger invariants of every account, keyed by account id; only accounts with problems appear. */
    allViolations(): Record<string, string[]> {
      const out: Record<string, string[]> = {};
      for (const { account_id } of accountIds.all()) {
        const problems = violations(account_id);
        if (problems.length > 0) out[account_id] = problems;
      }
      return out;
    },
  };
}
