/**
 * Sliding windows for rate limits: every admitted call is an entry (time, amount); a window's total is the sum of
 * entries younger than its length, so limits never reset all at once on a clock boundary. Pure: `now` is passed in.
 */

export interface WindowEntry {
  at: number;
  amount: number;
}

export class SlidingWindow {
  private entries: WindowEntry[] = [];
  private head = 0;
  private sum = 0;

  constructor(readonly lengthMs: number) {}

  private expire(now: number): void {
    const cutoff = now - this.lengthMs;
    while (this.head < this.entries.length && this.entries[this.head]!.at <= cutoff) {
      this.sum -= this.entries[this.head]!.amount;
      this.head++;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  total(now: number): number {
    this.expire(now);
    return this.sum;
  }

  add(now: number, amount: number): WindowEntry {
    this.expire(now);
    const entry = { at: now, amount };
    this.entries.push(entry);
    this.sum += amount;
    return entry;
  }

  /** Replaces an entry's amount (the estimate) with the actual amount, if the entry is still in the window. */
  correct(entry: WindowEntry, amount: number, now: number): void {
    this.expire(now);
    if (entry.at > now - this.lengthMs) {
      this.sum += amount - entry.amount;
    }
    entry.amount = amount;
  }

  /** Removes an entry (a call the gateway refused after admitting it). */
  remove(entry: WindowEntry, now: number): void {
    this.correct(entry, 0, now);
  }

  /** Milliseconds until the window has room for `amount` more under `limit`. */
  waitFor(amount: number, limit: number, now: number): number {
    this.expire(now);
    let excess = this.sum + amount - limit;
    if (excess <= 0) return 0;
    for (let i = this.head; i < this.entries.length; i++) {
      excess -= this.entries[i]!.amount;
      if (excess <= 0) return Math.max(1, this.entries[i]!.at + this.lengthMs - now);
    }
    return this.lengthMs;
  }
}

export interface KeyLimits {
  rpm: number | null;
  tpm: number | null;
}

export interface Admission {
  requests: WindowEntry;
  tokens: WindowEntry;
  keyId: string;
}

export type AdmitResult =
  | { ok: true; admission: Admission; headers: Record<string, string> }
  | { ok: false; retryAfterMs: number; limit: 'rpm' | 'tpm'; headers: Record<string, string> };

/** Per-client-key RPM/TPM limits over one-minute sliding windows, with OpenAI-style `x-ratelimit-*` headers. */
export class KeyRateLimiter {
  private readonly windows = new Map<string, { requests: SlidingWindow; tokens: SlidingWindow }>();

  private windowsOf(keyId: string) {
    let w = this.windows.get(keyId);
    if (!w) {
      w = { requests: new SlidingWindow(60_000), tokens: new SlidingWindow(60_000) };
      this.windows.set(keyId, w);
    }
    return w;
  }

  admit(keyId: string, limits: KeyLimits, estimatedTokens: number, now: number): AdmitResult {
    const w = this.windowsOf(keyId);
    const usedRequests = w.requests.total(now);
    const usedTokens = w.tokens.total(now);
    const headers = (requestsLeft: number, tokensLeft: number): Record<string, string> => {
      const out: Record<string, string> = {};
      if (limits.rpm) {
        out['x-ratelimit-limit-requests'] = String(limits.rpm);
        out['x-ratelimit-remaining-requests'] = String(Math.max(0, requestsLeft));
        out['x-ratelimit-reset-requests'] = `${Math.ceil(w.requests.waitFor(1, limits.rpm, now) / 1000)}s`;
      }
      if (limits.tpm) {
        out['x-ratelimit-limit-tokens'] = String(limits.tpm);
        out['x-ratelimit-remaining-tokens'] = String(Math.max(0, tokensLeft));
        out['x-ratelimit-reset-tokens'] = `${Math.ceil(w.tokens.waitFor(estimatedTokens, limits.tpm, now) / 1000)}s`;
      }
      return out;
    };
    if (limits.rpm && usedRequests + 1 > limits.rpm) {
      const wait = w.requests.waitFor(1, limits.rpm, now);
      return { ok: false, retryAfterMs: wait, limit: 'rpm', headers: { ...headers(limits.rpm - usedRequests, (limits.tpm ?? 0) - usedTokens), 'retry-after': String(Math.ceil(wait / 1000)) } };
    }
    // A single call larger than the whole TPM budget is let through on an empty window rather than refused forever.
    if (limits.tpm && usedTokens > 0 && usedTokens + estimatedTokens > limits.tpm) {
      const wait = w.tokens.waitFor(estimatedTokens, limits.tpm, now);
      return { ok: false, retryAfterMs: wait, limit: 'tpm', headers: { ...headers((limits.rpm ?? 0) - usedRequests, limits.tpm - usedTokens), 'retry-after': String(Math.ceil(wait / 1000)) } };
    }
    const admission = { keyId, requests: w.requests.add(now, 1), tokens: w.tokens.add(now, estimatedTokens) };
    return { ok: true, admission, headers: headers((limits.rpm ?? 0) - usedRequests - 1, (limits.tpm ?? 0) - usedTokens - estimatedTokens) };
  }

  /** Corrects the token estimate to actual usage when the call ends. */
  settle(admission: Admission, actualTokens: number, now: number): void {
    this.windowsOf(admission.keyId).tokens.correct(admission.tokens, actualTokens, now);
  }

  /** Takes back an admission for a call the gateway itself refused. */
  cancel(admission: Admission, now: number): void {
    const w = this.windowsOf(admission.keyId);
    w.requests.remove(admission.requests, now);
    w.tokens.remove(admission.tokens, now);
  }
}
