import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { REPLAY_WINDOW_MS, ReplayGuard, SIGNATURE_MAX_SKEW_SECONDS, checkSignatureHeaders, signRequest, verifySignature, type SignatureInput } from '../../../src-gateway/auth/hmac.js';
import { GatewayError } from '../../../src-gateway/errors.js';

const KEY = 'omx_live_0123456789abcdefghijklmnopqrstuv';
const NOW_S = 1_767_225_600; // 2026-01-01T00:00:00Z, a whole second
const NOW_MS = NOW_S * 1000;
const BODY = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}';
const PATH = '/api/v1/chat/completions';

/** A request signed by the client at `timestamp`, checked by the server at `nowMs`. */
function signed(overrides: Partial<SignatureInput> = {}, timestamp = String(NOW_S)): SignatureInput {
  return {
    key: KEY,
    timestamp,
    signature: signRequest(KEY, timestamp, 'POST', PATH, BODY),
    method: 'POST',
    path: PATH,
    rawBody: BODY,
    nowMs: NOW_MS,
    ...overrides,
  };
}

/** The catalogue code `fn` throws, or 'ok'. */
function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof GatewayError) return err.code;
    throw err;
  }
}

const verify = (input: SignatureInput, replay = new ReplayGuard()) => outcome(() => verifySignature(input, replay));

describe('HMAC request signatures (API.md §2)', () => {
  describe('signature format', () => {
    it('is sha256=<hex hmac_sha256(key, timestamp.METHOD.path.raw_body)> with the client key as the HMAC key', () => {
      const expected = createHmac('sha256', KEY).update(`${NOW_S}.POST.${PATH}.${BODY}`).digest('hex');
      expect(signRequest(KEY, String(NOW_S), 'POST', PATH, BODY)).toBe(`sha256=${expected}`);
      expect(signRequest(KEY, String(NOW_S), 'POST', PATH, BODY)).toMatch(/^sha256=[0-9a-f]{64}$/);
    });

    it('upper-cases the method, so post and POST sign the same', () => {
      expect(signRequest(KEY, '1', 'post', PATH, '')).toBe(signRequest(KEY, '1', 'POST', PATH, ''));
    });

    it('covers every part: timestamp, method, path and body each change the signature', () => {
      const base = signRequest(KEY, '100', 'POST', PATH, BODY);
      expect(signRequest(KEY, '101', 'POST', PATH, BODY)).not.toBe(base);
      expect(signRequest(KEY, '100', 'PUT', PATH, BODY)).not.toBe(base);
      expect(signRequest(KEY, '100', 'POST', '/v1/chat/completions', BODY)).not.toBe(base);
      expect(signRequest(KEY, '100', 'POST', PATH, `${BODY} `)).not.toBe(base);
    });

    it('signs an empty body (GET) as an empty string', () => {
      const expected = createHmac('sha256', KEY).update(`${NOW_S}.GET./v1/models.`).digest('hex');
      expect(signRequest(KEY, String(NOW_S), 'GET', '/v1/models', '')).toBe(`sha256=${expected}`);
    });

    it('signs a binary body (a multipart form) as its bytes after `timestamp.METHOD.path.`', () => {
      // Bytes that are not valid UTF-8: a text round trip would change them.
      const form = Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="file"\r\n\r\n'), Buffer.from([0xff, 0xfe, 0x00, 0x80]), Buffer.from('\r\n--b--\r\n')]);
      const expected = createHmac('sha256', KEY).update(Buffer.concat([Buffer.from(`${NOW_S}.POST./v1/audio/transcriptions.`), form])).digest('hex');
      expect(signRequest(KEY, String(NOW_S), 'POST', '/v1/audio/transcriptions', form)).toBe(`sha256=${expected}`);
      expect(signRequest(KEY, String(NOW_S), 'POST', '/v1/audio/transcriptions', form.toString('utf8'))).not.toBe(`sha256=${expected}`);
      // A text body and its UTF-8 bytes sign the same.
      expect(signRequest(KEY, '1', 'POST', PATH, Buffer.from('héllo ✓'))).toBe(signRequest(KEY, '1', 'POST', PATH, 'héllo ✓'));
    });
  });

  describe('verification', () => {
    it('accepts a correct signature', () => {
      expect(verify(signed())).toBe('ok');
    });

    it('accepts the hex digest (and the prefix) in upper case and with surrounding spaces', () => {
      const input = signed();
      expect(verify({ ...input, signature: input.signature!.toUpperCase() })).toBe('ok');
      expect(verify({ ...input, signature: `sha256=${input.signature!.slice(7).toUpperCase()}` })).toBe('ok');
      expect(verify({ ...input, signature: `  ${input.signature}  ` })).toBe('ok');
    });

    it('refuses a signature made with another key', () => {
      const other = signRequest('omx_live_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ', String(NOW_S), 'POST', PATH, BODY);
      expect(verify(signed({ signature: other }))).toBe('invalid_signature');
    });

    it('refuses a signature of another body, path or method', () => {
      expect(verify(signed({ rawBody: `${BODY}\n` }))).toBe('invalid_signature');
      expect(verify(signed({ path: '/v1/chat/completions' }))).toBe('invalid_signature');
      expect(verify(signed({ method: 'PUT' }))).toBe('invalid_signature');
    });

    it('refuses malformed signatures without throwing anything but the catalogue error', () => {
      for (const bad of ['', 'sha256=', 'sha256=zz', 'md5=abc', signed().signature!.slice(7), `${signed().signature}00`]) {
        expect(verify(signed({ signature: bad })), JSON.stringify(bad)).toBe('invalid_signature');
      }
    });

    it('requires both headers: a missing timestamp or signature is invalid_signature', () => {
      expect(verify(signed({ timestamp: undefined }))).toBe('invalid_signature');
      expect(verify(signed({ signature: undefined }))).toBe('invalid_signature');
    });

    it('verifies a binary body over its exact bytes', () => {
      const form = Buffer.from([0x2d, 0x2d, 0xff, 0x00, 0x0d, 0x0a]);
      const input = signed({ rawBody: form, signature: signRequest(KEY, String(NOW_S), 'POST', PATH, form) });
      expect(verify({ ...input, rawBody: Buffer.from([0x2d, 0x2d, 0xfe, 0x00, 0x0d, 0x0a]) })).toBe('invalid_signature');
      expect(verify({ ...input, rawBody: '' })).toBe('invalid_signature');
      expect(verify(input)).toBe('ok');
    });

    it('checks the headers and the clock without the body, as verification does', () => {
      const headers = (timestamp: string | undefined, signature: string | undefined) => outcome(() => checkSignatureHeaders({ timestamp, signature, nowMs: NOW_MS }));
      expect(headers(String(NOW_S), 'sha256=anything')).toBe('ok');
      expect(headers(undefined, 'sha256=x')).toBe('invalid_signature');
      expect(headers(String(NOW_S), undefined)).toBe('invalid_signature');
      expect(headers('now', 'sha256=x')).toBe('invalid_signature');
      expect(headers(String(NOW_S - SIGNATURE_MAX_SKEW_SECONDS - 1), 'sha256=x')).toBe('signature_expired');
      expect(headers(String(NOW_S + SIGNATURE_MAX_SKEW_SECONDS), 'sha256=x')).toBe('ok');
    });

    it('requires the timestamp in unix seconds', () => {
      for (const bad of [String(NOW_MS), '1.5e9', '-1', 'now', ` ${NOW_S}`, `${NOW_S}.5`, '']) {
        expect(verify(signed({}, bad)), JSON.stringify(bad)).toBe('invalid_signature');
      }
    });
  });

  describe('clock skew: a timestamp more than 300 s away is signature_expired', () => {
    it('has the documented limit', () => {
      expect(SIGNATURE_MAX_SKEW_SECONDS).toBe(300);
    });

    it.each([
      [-301, 'signature_expired'],
      [-300, 'ok'],
      [-299, 'ok'],
      [0, 'ok'],
      [299, 'ok'],
      [300, 'ok'],
      [301, 'signature_expired'],
    ])('client clock %i s off → %s', (offset, expected) => {
      expect(verify(signed({}, String(NOW_S + offset)))).toBe(expected);
    });

    it('checks the clock before the signature: an old, wrong signature is reported as expired', () => {
      expect(verify(signed({ signature: 'sha256=00' }, String(NOW_S - 3600)))).toBe('signature_expired');
    });
  });

  describe('replay: a signature already used in the last 10 minutes is invalid_signature', () => {
    it('has the documented window', () => {
      expect(REPLAY_WINDOW_MS).toBe(10 * 60_000);
    });

    it('refuses the same signed request a second time, also with the hex in another case', () => {
      const replay = new ReplayGuard();
      const input = signed();
      expect(verify(input, replay)).toBe('ok');
      expect(verify(input, replay)).toBe('invalid_signature');
      expect(verify({ ...input, signature: input.signature!.toUpperCase() }, replay)).toBe('invalid_signature');
    });

    it('keeps refusing it throughout the window while the timestamp is still fresh', () => {
      const replay = new ReplayGuard();
      // A client whose clock runs 300 s ahead: its timestamp stays acceptable for the whole 10 minutes.
      const input = signed({}, String(NOW_S + 300));
      expect(verify(input, replay)).toBe('ok');
      for (const later of [1, 60_000, 299_999, 300_000, 599_999, 600_000]) {
        expect(verify({ ...input, nowMs: NOW_MS + later }, replay), `+${later} ms`).toBe('invalid_signature');
      }
      // After that the timestamp itself is too old, so the request can never be accepted again.
      expect(verify({ ...input, nowMs: NOW_MS + 600_001 }, replay)).toBe('signature_expired');
    });

    it('never accepts one signature twice, whatever the client clock offset and the moment of the replay', () => {
      for (const offset of [-300, -1, 0, 1, 300]) {
        const replay = new ReplayGuard();
        const input = signed({}, String(NOW_S + offset));
        expect(verify(input, replay)).toBe('ok');
        const edges = [0, 1, 299_999, 300_000, 300_001, 599_999, 600_000, 600_001, 900_000];
        for (const later of [...edges, ...Array.from({ length: 70 }, (_, i) => i * 10_000 + 7)]) {
          expect(verify({ ...input, nowMs: NOW_MS + later }, replay), `offset ${offset} s, +${later} ms`).not.toBe('ok');
        }
      }
    });

    it('does not remember a signature that failed verification', () => {
      const replay = new ReplayGuard();
      const input = signed();
      expect(verify({ ...input, rawBody: 'tampered' }, replay)).toBe('invalid_signature');
      expect(verify(input, replay)).toBe('ok');
    });

    it('lets each fresh signature through once', () => {
      const replay = new ReplayGuard();
      for (let i = 0; i < 5; i++) expect(verify(signed({ nowMs: NOW_MS + i * 1000 }, String(NOW_S + i)), replay)).toBe('ok');
    });

    describe('ReplayGuard with a fake clock', () => {
      it('refuses a claim within the window and frees it once the window has passed', () => {
        const guard = new ReplayGuard();
        expect(guard.claim('sig-a', 0)).toBe(true);
        expect(guard.claim('sig-a', 1)).toBe(false);
        expect(guard.claim('sig-a', REPLAY_WINDOW_MS - 1)).toBe(false);
        // The window is closed at both ends: its last millisecond still refuses.
        expect(guard.claim('sig-a', REPLAY_WINDOW_MS)).toBe(false);
        expect(guard.claim('sig-a', REPLAY_WINDOW_MS + 1)).toBe(true);
        // The second claim starts a new window.
        expect(guard.claim('sig-a', REPLAY_WINDOW_MS + 2)).toBe(false);
      });

      it('keeps signatures apart', () => {
        const guard = new ReplayGuard();
        expect(guard.claim('sig-a', 0)).toBe(true);
        expect(guard.claim('sig-b', 0)).toBe(true);
        expect(guard.claim('sig-a', 10)).toBe(false);
      });

      it('still refuses replays after pruning old entries', () => {
        const guard = new ReplayGuard();
        for (let i = 0; i < 100; i++) guard.claim(`old-${i}`, i);
        expect(guard.claim('recent', REPLAY_WINDOW_MS - 10)).toBe(true);
        // This claim prunes the expired `old-*` entries; `recent` must survive the pruning.
        expect(guard.claim('other', REPLAY_WINDOW_MS + 60_000)).toBe(true);
        expect(guard.claim('recent', REPLAY_WINDOW_MS + 60_000)).toBe(false);
        expect(guard.claim('old-5', REPLAY_WINDOW_MS + 60_000)).toBe(true);
      });
    });
  });
});
