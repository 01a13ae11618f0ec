/**
 * Client-side HMAC request signing (API.md §2), written from the contract independently of the gateway's code:
 * `X-Omixa-Signature: sha256=<hex hmac_sha256(key, timestamp + "." + METHOD + "." + path + "." + raw_body)>`.
 */
import { createHmac } from 'node:crypto';

/** The contract's signature; a binary body (a multipart form) is signed as its bytes. */
export function sign(key: string, timestamp: string, method: string, path: string, rawBody: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${method}.${path}.`).update(rawBody).digest('hex')}`;
}

/** Unix seconds now, as the timestamp header carries them. */
export const nowSeconds = (): string => String(Math.floor(Date.now() / 1000));

/** Bytes `fetch` accepts as a body. */
export type Bytes = Uint8Array<ArrayBuffer>;

export interface SignedRequest {
  timestamp: string;
  signature: string;
  url: string;
  /** The body exactly as sent: the SDK's JSON text, or a form's serialised bytes. */
  body: string | Bytes;
  /** The Content-Type sent with a serialised form. */
  contentType?: string;
}

export interface SigningTweaks {
  /** Seconds added to the current time for the timestamp. */
  skewSeconds?: number;
  /** The path that is signed (default: the request path without its query). */
  signedPath?: (path: string) => string;
  /** The key that signs (default: the client key). */
  signingKey?: string;
  /** The body that is signed (default: the body sent). */
  signedBody?: (body: string | Bytes) => string | Uint8Array;
  /** Sees each signed request. */
  onSigned?: (signed: SignedRequest) => void;
}

/**
 * A `fetch` that signs every request the `openai` SDK makes with the client key. A multipart upload reaches it as a
 * `FormData`: it is serialised to bytes here first, so that the bytes signed are the bytes sent.
 */
export function signingFetch(key: string, tweaks: SigningTweaks = {}): typeof fetch {
  return async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const headers = new Headers(init.headers);
    let body: string | Bytes;
    let contentType: string | undefined;
    if (init.body instanceof FormData) {
      const serialised = new Response(init.body);
      contentType = serialised.headers.get('content-type')!;
      headers.set('content-type', contentType);
      body = new Uint8Array(await serialised.arrayBuffer());
    } else if (init.body == null || typeof init.body === 'string') {
      body = init.body ?? '';
    } else {
      throw new Error('signingFetch expects string or FormData bodies from the SDK');
    }
    const timestamp = String(Math.floor(Date.now() / 1000) + (tweaks.skewSeconds ?? 0));
    const path = tweaks.signedPath ? tweaks.signedPath(url.pathname) : url.pathname;
    const signature = sign(tweaks.signingKey ?? key, timestamp, method, path, tweaks.signedBody ? tweaks.signedBody(body) : body);
    tweaks.onSigned?.({ timestamp, signature, url: url.toString(), body, contentType });
    headers.set('x-omixa-timestamp', timestamp);
    headers.set('x-omixa-signature', signature);
    return fetch(input, { ...init, headers, ...(init.body == null ? {} : { body }) });
  };
}

/** A form serialised the way `fetch` would send it: its bytes and its Content-Type (with the boundary). */
export async function formBytes(form: FormData): Promise<{ body: Bytes; contentType: string }> {
  const serialised = new Response(form);
  return { body: new Uint8Array(await serialised.arrayBuffer()), contentType: serialised.headers.get('content-type')! };
}
