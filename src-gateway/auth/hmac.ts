import { createHmac, timingSafeEqual } from 'node:crypto';
import { gatewayError } from '../errors.js';

/** Accepted distance between the client's timestamp and the server clock. */
export const SIGNATURE_MAX_SKEW_SECONDS = 300;
/** A signature is remembered this long to refuse replays. */
export const REPLAY_WINDOW_MS = 10 * 60_000;

/**
 * `sha256=<hex hmac_sha256(key, timestamp + "." + METHOD + "." + path + "." + raw_body)>`. A text body is signed as its
 * UTF-8 bytes, a binary one (a multipart upload) as its bytes exactly as received.
 */
export function signRequest(key: string, timestamp: string, method: string, path: string, rawBody: string | Uint8Array): string {
  const mac = createHmac('sha256', key).update(`${timestamp}.${method.toUpperCase()}.${path}.`).update(rawBody).digest('hex');
  return `sha256=${mac}`;
}

export interface SignatureInput {
  key: string;
  timestamp: string | undefined;
  signature: string | undefined;
  method: string;
  path: string;
  rawBody: string | Uint8Array;
  nowMs: number;
}

/** Remembers used signatures for the replay window. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private lastPrune = 0;

  /**
   * Records a signature; false when it was already used within the window. The window's last millisecond is still
   * inside it: a timestamp is valid for exactly 2 × 300 s = the window, so an exclusive end let a replay through then.
   */
  claim(signature: string, nowMs: number): boolean {
    if (nowMs - this.lastPrune > 30_000) {
      for (const [sig, expires] of this.seen) if (expires < nowMs) this.seen.delete(sig);
      this.lastPrune = nowMs;
    }
    const expires = this.seen.get(signature);
    if (expires !== undefined && expires >= nowMs) return false;
    this.seen.set(signature, nowMs + REPLAY_WINDOW_MS);
    return true;
  }
}

/**
 * The checks that need no body: both headers present, the timestamp in unix seconds and at most 300 s away. Lets a
 * large upload be refused before it is read; `verifySignature` repeats them.
 */
export function checkSignatureHeaders<T extends Pick<SignatureInput, 'timestamp' | 'signature' | 'nowMs'>>(input: T): asserts input is T & { timestamp: string; signature: string } {
  if (!input.timestamp || !input.signature) throw gatewayError('invalid_signature', 'X-Omixa-Timestamp and X-Omixa-Signature headers are required.');
  if (!/^\d{1,12}$/.test(input.timestamp)) throw gatewayError('invalid_signature', 'X-Omixa-Timestamp must be unix seconds.');
  if (Math.abs(input.nowMs / 1000 - Number(input.timestamp)) > SIGNATURE_MAX_SKEW_SECONDS) throw gatewayError('signature_expired');
}

/** Verifies a signed request or throws `invalid_signature` / `signature_expired`. */
export function verifySignature(input: SignatureInput, replay: ReplayGuard): void {
  checkSignatureHeaders(input);
  const expected = Buffer.from(signRequest(input.key, input.timestamp, input.method, input.path, input.rawBody));
  const given = Buffer.from(input.signature.trim().toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw gatewayError('invalid_signature');
  if (!replay.claim(input.signature.trim().toLowerCase(), input.nowMs)) throw gatewayError('invalid_signature', 'This signature was already used.');
}
