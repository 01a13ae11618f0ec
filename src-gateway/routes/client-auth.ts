import type { FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';
import { checkSignatureHeaders, verifySignature, type ReplayGuard } from '../auth/hmac.js';
import type { LiveState } from '../live-state.js';
import type { Principal } from '../pipeline/context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received, for HMAC signatures (every body but a multipart form's). */
    rawBody?: string;
    /**
     * Present while a signed multipart request still has its signature to be checked: its form is read in the route,
     * after authentication, so `readMultipartForm` buffers the body, checks it with this, and only then parses it.
     */
    verifyBodySignature?: (rawBody: Buffer) => void;
    principal?: Principal;
  }
}

/** The key a client presented: Bearer, or the Anthropic / Google header styles where those protocols allow them. */
export function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  const apiKey = req.headers['x-api-key'] ?? req.headers['x-goog-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey.trim();
  const query = req.query as { key?: unknown } | undefined;
  if (req.url.startsWith('/v1beta/') && typeof query?.key === 'string') return query.key;
  return undefined;
}

export interface ClientAuthOptions {
  live: LiveState;
  replay: ReplayGuard;
  requireSignature: () => boolean;
}

/**
 * Authenticates a client call and attaches its principal; throws the catalogue's 401s. A signature is checked here over
 * the parsed body's raw text; a multipart form is not read yet, so only its headers and timestamp are checked here (a
 * bad key or a missing signature is refused before a large upload is read) and the signature over its bytes is left to
 * `readMultipartForm` through `req.verifyBodySignature`.
 */
export function authenticateClient(req: FastifyRequest, options: ClientAuthOptions): Principal {
  const key = presentedKey(req);
  if (!key) throw gatewayError('invalid_api_key', 'Missing API key. Send it as "Authorization: Bearer omx_live_…".');
  const record = options.live.keyFor(key);
  if (!record) throw gatewayError('invalid_api_key', 'Incorrect, unknown or revoked API key.');
  if (record.requireSignature || options.requireSignature()) {
    const path = req.url.split('?', 1)[0]!;
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const signed = { key, timestamp: header('x-omixa-timestamp'), signature: header('x-omixa-signature'), method: req.method, path, nowMs: Date.now() };
    if (req.rawBody === undefined && isUnreadMultipart(req)) {
      checkSignatureHeaders(signed);
      // Checked against the clock of the request's arrival, so a slow upload does not expire on the way.
      req.verifyBodySignature = (rawBody) => verifySignature({ ...signed, rawBody }, options.replay);
    } else {
      verifySignature({ ...signed, rawBody: req.rawBody ?? '' }, options.replay);
    }
  }
  const principal: Principal = { accountId: record.accountId, keyId: record.id, source: 'api', allowedModels: record.models, limits: { rpm: record.rpm, tpm: record.tpm } };
  req.principal = principal;
  return principal;
}

/** A multipart form in a scope that reads it in the route (`@fastify/multipart` leaves the body unread until then). */
function isUnreadMultipart(req: FastifyRequest): boolean {
  return typeof req.isMultipart === 'function' && req.isMultipart();
}
