import { describe, expect, it } from 'vitest';
import {
  adjust,
  availableMicros,
  hold,
  settle,
  topUp,
  walletViolations,
  WalletRuleError,
  type LedgerMove,
  type LedgerTotals,
  type WalletState,
} from '../../../src-gateway/domain/wallet.js';

const state = (balanceMicros: number, lockedMicros = 0): WalletState => ({ balanceMicros, lockedMicros });
const noTotals = (): LedgerTotals => ({ topUpMicros: 0, adjustmentCreditMicros: 0, adjustmentDebitMicros: 0, captureMicros: 0 });

describe('wallet rules', () => {
  describe('top-up', () => {
    it('credits the balance and writes one top_up/credit row with the state after it', () => {
      const result = topUp(state(1_000, 400), 2_500);
      expect(result.state).toEqual(state(3_500, 400));
      expect(result.moves).toEqual([{ type: 'top_up', direction: 'credit', amountMicros: 2_500, balanceAfterMicros: 3_500, lockedAfterMicros: 400 }]);
    });

    it('refuses zero, negative, fractional and non-finite amounts', () => {
      for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => topUp(state(0), bad), String(bad)).toThrow(WalletRuleError);
      }
    });

    it('refuses a top-up that would leave the safe-integer range', () => {
      expect(() => topUp(state(Number.MAX_SAFE_INTEGER - 10), 11)).toThrow(/overflow/);
      expect(topUp(state(Number.MAX_SAFE_INTEGER - 10), 10).state.balanceMicros).toBe(Number.MAX_SAFE_INTEGER);
    });

    it('does not mutate the state it was given', () => {
      const before = state(100, 50);
      topUp(before, 10);
      expect(before).toEqual(state(100, 50));
    });
  });

  describe('adjustment', () => {
    it('records a positive delta as a credit and a negative one as a debit of its absolute value', () => {
      expect(adjust(state(1_000), 250).moves).toEqual([{ type: 'adjustment', direction: 'credit', amountMicros: 250, balanceAfterMicros: 1_250, lockedAfterMicros: 0 }]);
      expect(adjust(state(1_000, 100), -300).moves).toEqual([{ type: 'adjustment', direction: 'debit', amountMicros: 300, balanceAfterMicros: 700, lockedAfterMicros: 100 }]);
    });

    it('may take the balance down to exactly the locked amount, never below', () => {
      expect(adjust(state(1_000, 400), -600).state).toEqual(state(400, 400));
      expect(() => adjust(state(1_000, 400), -601)).toThrow(/below the locked amount/);
      expect(() => adjust(state(0), -1)).toThrow(WalletRuleError);
    });

    it('refuses zero and fractional deltas', () => {
      expect(() => adjust(state(10), 0)).toThrow(WalletRuleError);
      expect(() => adjust(state(10), 0.5)).toThrow(WalletRuleError);
      expect(() => adjust(state(10), Number.NaN)).toThrow(WalletRuleError);
    });
  });

  describe('hold', () => {
    it('locks the amount without touching the balance', () => {
      const result = hold(state(1_000, 200), 300)!;
      expect(result.state).toEqual(state(1_000, 500));
      expect(result.moves).toEqual([{ type: 'hold', direction: 'lock', amountMicros: 300, balanceAfterMicros: 1_000, lockedAfterMicros: 500 }]);
      expect(availableMicros(result.state)).toBe(500);
    });

    it('may take exactly what is available, and answers null (402) for one micro more', () => {
      expect(hold(state(1_000, 200), 800)!.state).toEqual(state(1_000, 1_000));
      expect(hold(state(1_000, 200), 801)).toBeNull();
      expect(hold(state(0), 1)).toBeNull();
    });

    it('refuses negative and fractional amounts', () => {
      expect(() => hold(state(1_000), -1)).toThrow(WalletRuleError);
      expect(() => hold(state(1_000), 0.5)).toThrow(WalletRuleError);
    });
  });

  describe('settle', () => {
    it('captures the cost from the hold and releases the rest', () => {
      // Two holds are active (300 + 200); settle the 300 one at a cost of 120.
      const result = settle(state(1_000, 500), 300, 120);
      expect(result.capturedMicros).toBe(120);
      expect(result.releasedMicros).toBe(180);
      expect(result.shortfallMicros).toBe(0);
      expect(result.state).toEqual(state(880, 200));
      expect(result.moves).toEqual([
        { type: 'capture', direction: 'debit', amountMicros: 120, balanceAfterMicros: 880, lockedAfterMicros: 380 },
        { type: 'release', direction: 'unlock', amountMicros: 180, balanceAfterMicros: 880, lockedAfterMicros: 200 },
      ]);
    });

    it('writes only a capture when the cost equals the hold', () => {
      const result = settle(state(1_000, 300), 300, 300);
      expect(result.moves.map((m) => m.type)).toEqual(['capture']);
      expect(result.state).toEqual(state(700, 0));
      expect(result.releasedMicros).toBe(0);
    });

    it('writes only a release for a failed call (cost 0)', () => {
      const result = settle(state(1_000, 300), 300, 0);
      expect(result.moves).toEqual([{ type: 'release', direction: 'unlock', amountMicros: 300, balanceAfterMicros: 1_000, lockedAfterMicros: 0 }]);
      expect(result.state).toEqual(state(1_000, 0));
      expect(result.capturedMicros).toBe(0);
    });

    it('writes nothing for a zero hold settled at zero cost', () => {
      const result = settle(state(50, 0), 0, 0);
      expect(result.moves).toEqual([]);
      expect(result.state).toEqual(state(50, 0));
    });

    it('captures above the hold by spending available balance', () => {
      // balance 1000, locked 300 = this hold (100) + another (200); available 700. Cost 150 > hold 100.
      const result = settle(state(1_000, 300), 100, 150);
      expect(result.capturedMicros).toBe(150);
      expect(result.releasedMicros).toBe(0);
      expect(result.shortfallMicros).toBe(0);
      expect(result.state).toEqual(state(850, 200));
      // The capture consumed the whole hold (100) and 50 of available; the other hold is untouched.
      expect(result.moves).toEqual([{ type: 'capture', direction: 'debit', amountMicros: 150, balanceAfterMicros: 850, lockedAfterMicros: 200 }]);
      expect(availableMicros(result.state)).toBe(650);
    });

    it('captures what is available and reports the shortfall when the cost exceeds hold + available', () => {
      // available 20 beyond the hold: collects 100 + 20, 30 short.
      const result = settle(state(120, 100), 100, 150);
      expect(result).toMatchObject({ capturedMicros: 120, releasedMicros: 0, shortfallMicros: 30 });
      expect(result.state).toEqual(state(0, 0));
    });

    it('reports the whole excess as shortfall when nothing is left, never touching other holds', () => {
      // balance 300 fully locked by this hold (100) and another (200).
      const result = settle(state(300, 300), 100, 500);
      expect(result).toMatchObject({ capturedMicros: 100, releasedMicros: 0, shortfallMicros: 400 });
      expect(result.state).toEqual(state(200, 200));
      expect(result.state.lockedMicros).toBeLessThanOrEqual(result.state.balanceMicros);
    });

    it('refuses a hold larger than what is locked, and negative or fractional amounts', () => {
      expect(() => settle(state(1_000, 100), 101, 0)).toThrow(/larger than the locked amount/);
      expect(() => settle(state(1_000, 100), 100, -1)).toThrow(WalletRuleError);
      expect(() => settle(state(1_000, 100), -1, 0)).toThrow(WalletRuleError);
      expect(() => settle(state(1_000, 100), 100, 1.5)).toThrow(WalletRuleError);
    });

    it('hold − release equals the capture whenever the cost fits the hold', () => {
      for (const cost of [0, 1, 99, 250, 499, 500]) {
        const held = hold(state(10_000), 500)!;
        const settled = settle(held.state, 500, cost);
        const captured = settled.moves.find((m) => m.type === 'capture')?.amountMicros ?? 0;
        const released = settled.moves.find((m) => m.type === 'release')?.amountMicros ?? 0;
        expect(500 - released).toBe(captured);
        expect(captured).toBe(cost);
        expect(settled.state).toEqual(state(10_000 - cost, 0));
      }
    });
  });

  describe('invariant checker', () => {
    const sound = { state: state(700, 200), totals: { topUpMicros: 1_000, adjustmentCreditMicros: 50, adjustmentDebitMicros: 100, captureMicros: 250 }, holds: 200 };

    it('finds nothing wrong with a sound wallet', () => {
      expect(walletViolations(sound.state, sound.totals, sound.holds)).toEqual([]);
      expect(walletViolations(state(0), noTotals(), 0)).toEqual([]);
    });

    it('catches a balance that does not match the ledger', () => {
      const problems = walletViolations(state(701, 200), sound.totals, sound.holds);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/balance 701 != ledger total 700/);
    });

    it('counts adjustment debits against the balance', () => {
      const problems = walletViolations(state(800, 200), { ...sound.totals, adjustmentDebitMicros: 0 }, sound.holds);
      expect(problems).toEqual([]);
      expect(walletViolations(state(800, 200), sound.totals, sound.holds)[0]).toMatch(/ledger total 700/);
    });

    it('catches locked that differs from the active holds', () => {
      const problems = walletViolations(sound.state, sound.totals, 150);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/locked 200 != active holds 150/);
    });

    it('catches negative locked', () => {
      const problems = walletViolations(state(700, -5), sound.totals, -5);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/locked -5 < 0/);
    });

    it('catches locked above the balance', () => {
      const totals = { ...noTotals(), topUpMicros: 100 };
      const problems = walletViolations(state(100, 150), totals, 150);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/locked 150 > balance 100/);
    });

    it('catches a negative balance (locked 0 > balance)', () => {
      const totals = { ...noTotals(), topUpMicros: 100, captureMicros: 130 };
      expect(walletViolations(state(-30, 0), totals, 0)).toEqual(['locked 0 > balance -30']);
    });

    it('reports every violation at once', () => {
      expect(walletViolations(state(10, 20), noTotals(), 5)).toHaveLength(3);
    });
  });
});

/** mulberry32: small, fast, seeded; the same seed replays the same run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('wallet rules under random operations', () => {
  for (const seed of [1, 42, 20251127]) {
    it(`keeps the invariants over 4000 random operations (seed ${seed})`, () => {
      const random = prng(seed);
      const int = (max: number) => Math.floor(random() * (max + 1));
      let current = state(0);
      const totals = noTotals();
      const activeHolds = new Map<number, number>();
      let nextHold = 0;
      const counts = { topUp: 0, adjust: 0, hold: 0, refused: 0, settle: 0, aboveHold: 0, shortfall: 0, ruleErrors: 0 };

      /** Checks each row's amount against the step from the previous state and folds it into the independent totals. */
      const apply = (moves: LedgerMove[], next: WalletState) => {
        let prev = current;
        for (const m of moves) {
          const dBalance = m.balanceAfterMicros - prev.balanceMicros;
          const dLocked = m.lockedAfterMicros - prev.lockedMicros;
          const amount = m.amountMicros;
          const fail = (why: string) => {
            throw new Error(`seed ${seed}: bad ${m.type} row (${why}): ${JSON.stringify({ prev, move: m })}`);
          };
          if (!Number.isSafeInteger(amount) || amount < 0) fail('amount');
          switch (m.type) {
            case 'top_up':
              if (m.direction !== 'credit' || dBalance !== amount || dLocked !== 0) fail('top-up step');
              totals.topUpMicros += amount;
              break;
            case 'adjustment':
              if (dLocked !== 0 || dBalance !== (m.direction === 'credit' ? amount : -amount)) fail('adjustment step');
              if (m.direction === 'credit') totals.adjustmentCreditMicros += amount;
              else totals.adjustmentDebitMicros += amount;
              break;
            case 'hold':
              if (m.direction !== 'lock' || dBalance !== 0 || dLocked !== amount) fail('hold step');
              break;
            case 'capture':
              // a capture takes `amount` off the balance and consumes between 0 and `amount` of the hold
              if (m.direction !== 'debit' || dBalance !== -amount || -dLocked < 0 || -dLocked > amount) fail('capture step');
              totals.captureMicros += amount;
              break;
            case 'release':
              if (m.direction !== 'unlock' || dBalance !== 0 || -dLocked !== amount) fail('release step');
              break;
          }
          // Every intermediate row satisfies 0 ≤ locked ≤ balance, too.
          if (m.lockedAfterMicros < 0 || m.lockedAfterMicros > m.balanceAfterMicros) fail('0 <= locked <= balance');
          prev = { balanceMicros: m.balanceAfterMicros, lockedMicros: m.lockedAfterMicros };
        }
        if (prev.balanceMicros !== next.balanceMicros || prev.lockedMicros !== next.lockedMicros) throw new Error(`seed ${seed}: last row ${JSON.stringify(prev)} != state ${JSON.stringify(next)}`);
        current = next;
      };

      for (let step = 0; step < 4000; step++) {
        const roll = random();
        try {
          if (roll < 0.12) {
            counts.topUp++;
            const result = topUp(current, 1 + int(5_000));
            apply(result.moves, result.state);
          } else if (roll < 0.2) {
            counts.adjust++;
            // Deltas both ways, sometimes more than the unlocked balance (refused by the rule).
            const delta = int(3_000) - 1_500 || 1;
            const result = adjust(current, delta);
            apply(result.moves, result.state);
          } else if (roll < 0.6) {
            const amount = int(2_000);
            const result = hold(current, amount);
            if (result === null) {
              counts.refused++;
              if (amount <= availableMicros(current)) throw new Error(`step ${step} (seed ${seed}): refused ${amount} with ${availableMicros(current)} available`);
            } else {
              counts.hold++;
              apply(result.moves, result.state);
              activeHolds.set(nextHold++, amount);
            }
          } else if (activeHolds.size > 0) {
            counts.settle++;
            const ids = [...activeHolds.keys()];
            const id = ids[int(ids.length - 1)]!;
            const held = activeHolds.get(id)!;
            // Mostly at or under the hold; sometimes above it, sometimes far above everything.
            const shape = random();
            const cost = shape < 0.15 ? 0 : shape < 0.75 ? int(held) : shape < 0.95 ? held + int(1_000) : held + int(100_000);
            const available = availableMicros(current);
            const result = settle(current, held, cost);
            if (
              result.capturedMicros + result.shortfallMicros !== cost ||
              result.capturedMicros > held + available ||
              result.capturedMicros + result.releasedMicros < held ||
              (result.shortfallMicros > 0 && result.state.balanceMicros !== result.state.lockedMicros)
            ) {
              throw new Error(`step ${step} (seed ${seed}): bad settlement ${JSON.stringify({ current, held, cost, result })}`);
            }
            if (result.capturedMicros > held) counts.aboveHold++;
            if (result.shortfallMicros > 0) counts.shortfall++;
            apply(result.moves, result.state);
            activeHolds.delete(id);
          }
        } catch (err) {
          if (!(err instanceof WalletRuleError)) throw err;
          counts.ruleErrors++; // a refused move changes nothing
        }
        const activeTotal = [...activeHolds.values()].reduce((a, b) => a + b, 0);
        const problems = walletViolations(current, totals, activeTotal);
        if (problems.length > 0) throw new Error(`step ${step} (seed ${seed}): ${problems.join('; ')}`);
        if (current.lockedMicros < 0 || current.lockedMicros > current.balanceMicros) throw new Error(`step ${step} (seed ${seed}): ${JSON.stringify(current)}`);
      }

      // Settle whatever is left: the wallet ends unlocked and still sound.
      for (const [id, held] of activeHolds) {
        const result = settle(current, held, int(held));
        apply(result.moves, result.state);
        activeHolds.delete(id);
      }
      expect(current.lockedMicros).toBe(0);
      expect(walletViolations(current, totals, 0)).toEqual([]);
      // The run exercised every path, not just the easy ones.
      expect(counts.hold).toBeGreaterThan(500);
      expect(counts.refused).toBeGreaterThan(20);
      expect(counts.settle).toBeGreaterThan(500);
      expect(counts.aboveHold).toBeGreaterThan(20);
      expect(counts.shortfall).toBeGreaterThan(5);
      expect(counts.ruleErrors).toBeGreaterThan(0);
    });
  }
});
