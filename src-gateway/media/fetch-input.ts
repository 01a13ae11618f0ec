import { request } from 'undici';
import { gatewayError, GatewayError } from '../errors.js';

/** A media input (image, audio) the client gave by URL or as base64, now in memory. */
export interface InputFile {
  data: Buffer;
  /** What the source said (a response header or a data: URL); only a hint. */
  contentType: string | undefined;
  filename: string;
}

export interface FetchLimits {
  maxBytes: number;
  /** Whole fetch, headers and body. */
  timeoutMs: number;
  /** The request field the URL came from, for the error's `param`. */
  param: string;
}

const MAX_REDIRECTS = 3;
export const DEFAULT_FETCH_TIMEOUT_MS = 15_000;

/**
 * Fetches a client-given media URL: `http(s)` only (a `data:` URL is decoded instead of fetched), at most
 * `maxBytes` (413 as soon as a Content-Length or the bytes received say more), within `timeoutMs`, following at most
 * three redirects, each checked like the first URL.
 */
export async function fetchInputUrl(url: string, limits: FetchLimits): Promise<InputFile> {
  if (/^data:/i.test(url)) return decodeDataUrl(url, limits);
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let current = parseHttpUrl(url, limits.param);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(current, { method: 'GET', signal, headersTimeout: limits.timeoutMs, bodyTimeout: limits.timeoutMs });
    } catch (err) {
      throw fetchFailed(limits.param, signal.aborted ? 'it did not answer in time' : (err as Error).message);
    }
    if (res.statusCode >= 300 && res.statusCode < 400 && typeof res.headers.location === 'string') {
      await res.body.dump().catch(() => undefined);
      current = parseHttpUrl(new URL(res.headers.location, current).href, limits.param);
      continue;
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump().catch(() => undefined);
      throw fetchFailed(limits.param, `it answered HTTP ${res.statusCode}`);
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      res.body.destroy();
      throw tooLarge(limits);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body) {
        total += (chunk as Buffer).length;
        if (total > limits.maxBytes) {
          res.body.destroy();
          throw tooLarge(limits);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw fetchFailed(limits.param, signal.aborted ? 'it did not answer in time' : 'the connection failed');
    }
    const type = res.headers['content-type'];
    return { data: Buffer.concat(chunks, total), contentType: typeof type === 'string' ? type : undefined, filename: filenameOf(current) };
  }
  throw fetchFailed(limits.param, 'too many redirects');
}

/** Decodes base64 (plain, or a `data:…;base64,` URL) with the size cap checked before decoding. */
export function decodeBase64Input(value: string, limits: Omit<FetchLimits, 'timeoutMs'>, filename = 'upload'): InputFile {
  if (/^data:/i.test(value)) return decodeDataUrl(value, limits);
  const text = value.replace(/\s+/g, '');
  // 4 base64 characters carry 3 bytes: refuse before allocating an oversized buffer.
  if (Math.floor((text.length * 3) / 4) - 2 > limits.maxBytes) throw tooLarge(limits);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text) || text.length === 0) {
    throw gatewayError('invalid_request', `'${limits.param}' is not valid base64.`, { param: limits.param });
  }
  const data = Buffer.from(text, 'base64');
  if (data.length > limits.maxBytes) throw tooLarge(limits);
  return { data, contentType: undefined, filename };
}

function decodeDataUrl(url: string, limits: Omit<FetchLimits, 'timeoutMs'>): InputFile {
  const match = /^data:([^,;]*)((?:;[^,;]*)*?);base64,(.*)$/is.exec(url);
  if (!match) throw gatewayError('invalid_request', `'${limits.param}' must be an http(s) URL or a base64 data: URL.`, { param: limits.param });
  const decoded = decodeBase64Input(match[3]!, limits);
  return { ...decoded, contentType: match[1] || undefined };
}

function parseHttpUrl(value: string, param: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw gatewayError('invalid_request', `'${param}' is not a valid URL.`, { param });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw gatewayError('invalid_request', `'${param}' must be an http or https URL (got ${url.protocol.replace(/:$/, '')}).`, { param });
  }
  return url.href;
}

function filenameOf(url: string): string {
  const last = new URL(url).pathname.split('/').pop() ?? '';
  return /^[\w.-]{1,128}$/.test(last) ? last : 'download';
}

const tooLarge = (limits: { maxBytes: number; param: string }) =>
  gatewayError('payload_too_large', `'${limits.param}' is larger than the ${Math.round(limits.maxBytes / (1024 * 1024))} MB limit.`, { param: limits.param });

const fetchFailed = (param: string, why: string) => gatewayError('invalid_request', `Could not fetch '${param}': ${why}.`, { param });
