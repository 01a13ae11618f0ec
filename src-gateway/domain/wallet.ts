/**
 * Pure wallet arithmetic: each function takes a wallet state and returns the next one plus the ledger rows to write.
 * The database layer applies the result in one transaction; keeping the rules here makes them testable without SQLite.
 */

export interface WalletState {
  balanceMicros: number;
  lockedMicros: number;
}

export type LedgerType = 'top_up' | 'hold' | 'capture' | 'release' | 'adjustment';
export type LedgerDirection = 'credit' | 'debit' | 'lock' | 'unlock';

export interface LedgerMove {
  type: LedgerType;
  direction: LedgerDirection;
  amountMicros: number;
  balanceAfterMicros: number;
  lockedAfterMicros: number;
}

export interface MoveResult {
  state: WalletState;
  moves: LedgerMove[];
}

export class WalletRuleError extends Error {
  override name = 'WalletRuleError';
}

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new WalletRuleError(`amount must be a non-negative integer, got ${amount}`);
}

export function availableMicros(state: WalletState): number {
  return state.balanceMicros - state.lockedMicros;
}

function move(type: LedgerType, direction: LedgerDirection, amountMicros: number, state: WalletState): LedgerMove {
  return { type, direction, amountMicros, balanceAfterMicros: state.balanceMicros, lockedAfterMicros: state.lockedMicros };
}

export function topUp(state: WalletState, amountMicros: number): MoveResult {
  assertAmount(amountMicros);
  if (amountMicros === 0) throw new WalletRuleError('top-up amount must be positive');
  const next = { balanceMicros: state.balanceMicros + amountMicros, lockedMicros: state.lockedMicros };
  if (!Number.isSafeInteger(next.balanceMicros)) throw new WalletRuleError('balance would overflow');
  return { state: next, moves: [move('top_up', 'credit', amountMicros, next)] };
}

/** Signed adjustment by the admin; it may not take the balance below what is locked by running requests. */
export function adjust(state: WalletState, deltaMicros: number): MoveResult {
  if (!Number.isSafeInteger(deltaMicros) || deltaMicros === 0) throw new WalletRuleError('adjustment must be a non-zero integer');
  const next = { balanceMicros: state.balanceMicros + deltaMicros, lockedMicros: state.lockedMicros };
  if (next.balanceMicros < next.lockedMicros) throw new WalletRuleError('adjustment would take the balance below the locked amount');
  return { state: next, moves: [move('adjustment', deltaMicros > 0 ? 'credit' : 'debit', Math.abs(deltaMicros), next)] };
}

/** Locks `amount` for a request, or returns null when `available` is short (the caller answers 402). */
export function hold(state: WalletState, amountMicros: number): MoveResult | null {
  // Checked first: a maximum cost too large to represent exactly can never be covered either.
  if (amountMicros > availableMicros(state)) return null;
  assertAmount(amountMicros);
  const next = { balanceMicros: state.balanceMicros, lockedMicros: state.lockedMicros + amountMicros };
  return { state: next, moves: [move('hold', 'lock', amountMicros, next)] };
}

export interface SettleResult extends MoveResult {
  capturedMicros: number;
  releasedMicros: number;
  /** Cost that could not be collected because the wallet had nothing left beyond the hold. */
  shortfallMicros: number;
}

/**
 * Settles a hold against the actual cost: captures the cost (consuming the hold first, then any available balance if the
 * upstream used more than estimated) and releases what is left of the hold. Never takes the balance below the locked amount.
 */
export function settle(state: WalletState, holdMicros: number, costMicros: number): SettleResult {
  assertAmount(holdMicros);
  assertAmount(costMicros);
  if (holdMicros > state.lockedMicros) throw new WalletRuleError('hold is larger than the locked amount');
  const unlocked = { balanceMicros: state.balanceMicros, lockedMicros: state.lockedMicros - holdMicros };
  const collectable = holdMicros + availableMicros(state);
  const captured = Math.min(costMicros, collectable);
  const released = Math.max(0, holdMicros - captured);
  const moves: LedgerMove[] = [];
  let current = state;
  if (captured > 0) {
    // The capture consumes min(captured, hold) of the hold and spends the rest from available balance.
    const fromHold = Math.min(captured, holdMicros);
    current = { balanceMicros: current.balanceMicros - captured, lockedMicros: current.lockedMicros - fromHold };
    moves.push(move('capture', 'debit', captured, current));
  }
  if (released > 0) {
    current = { balanceMicros: current.balanceMicros, lockedMicros: current.lockedMicros - released };
    moves.push(move('release', 'unlock', released, current));
  }
  if (current.lockedMicros !== unlocked.lockedMicros) throw new WalletRuleError('settlement did not free the whole hold');
  return { state: current, moves, capturedMicros: captured, releasedMicros: released, shortfallMicros: costMicros - captured };
}

export interface LedgerTotals {
  topUpMicros: number;
  adjustmentCreditMicros: number;
  adjustmentDebitMicros: number;
  captureMicros: number;
}

/**
 * The ledger invariants: `balance = Σ top-ups + Σ adjustments − Σ captures`, `locked = Σ active holds`,
 * `0 ≤ locked ≤ balance`. Returns the violations, empty when the wallet is sound. Used by tests and `omixa doctor`.
 */
export function walletViolations(state: WalletState, totals: LedgerTotals, activeHoldsMicros: number): string[] {
  const problems: string[] = [];
  const expected = totals.topUpMicros + totals.adjustmentCreditMicros - totals.adjustmentDebitMicros - totals.captureMicros;
  if (state.balanceMicros !== expected) problems.push(`balance ${state.balanceMicros} != ledger total ${expected}`);
  if (state.lockedMicros !== activeHoldsMicros) problems.push(`locked ${state.lockedMicros} != active holds ${activeHoldsMicros}`);
  if (state.lockedMicros < 0) problems.push(`locked ${state.lockedMicros} < 0`);
  if (state.lockedMicros > state.balanceMicros) problems.push(`locked ${state.lockedMicros} > balance ${state.balanceMicros}`);
  return problems;
}
