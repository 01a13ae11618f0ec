import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { gatewayError, GatewayError } from '../errors.js';
import type { UploadedFile } from '../providers/types.js';

/** A whole multipart form: text fields (a repeated field becomes an array) and the expected files. */
export interface MultipartForm {
  fields: Record<string, string | string[]>;
  files: UploadedFile[];
}

export interface MultipartLimits {
  /** Total bytes of all accepted files together (each file is also cut off there). */
  maxFileBytes: number;
  /** File fields the endpoint takes; files under any other name are drained and ignored. */
  fileFields: readonly string[];
}

/** Room for a form's text fields and part headers on top of its files: routes refuse a larger declared body. */
export const FORM_OVERHEAD_BYTES = 1024 * 1024;
const MAX_FIELDS = 64;
const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_FILES = 20;

/**
 * Reads a `multipart/form-data` request into memory (uploads are capped at 20–25 MB, and the upstream call is
 * re-encoded from these buffers). Limit breaches are 413 `payload_too_large`; a malformed form is 400.
 *
 * A signed request (`req.verifyBodySignature`) is first read whole, up to the files' limit plus the form overhead, and
 * its signature checked over those exact bytes (401 before anything is parsed); the form is then parsed from them.
 * Only signed uploads are held twice in memory (raw and parsed), and only until this returns.
 */
export async function readMultipartForm(req: FastifyRequest, limits: MultipartLimits): Promise<MultipartForm> {
  let source = req;
  if (req.verifyBodySignature) {
    const body = await readWholeBody(req.raw, limits.maxFileBytes);
    req.verifyBodySignature(body);
    source = readingFrom(req, body);
  }
  const fields: Record<string, string | string[]> = {};
  const files: UploadedFile[] = [];
  let total = 0;
  try {
    const parts = source.parts({ limits: { fileSize: limits.maxFileBytes, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, files: MAX_FILES } });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (!limits.fileFields.includes(part.fieldname)) {
          part.file.resume();
          continue;
        }
        const data = await part.toBuffer();
        total += data.length;
        if (total > limits.maxFileBytes) throw tooLarge(limits.maxFileBytes);
        files.push({ field: part.fieldname, filename: safeFilename(part.filename), contentType: part.mimetype, data });
      } else {
        if (part.fieldnameTruncated || part.valueTruncated) throw gatewayError('payload_too_large', `The form field '${part.fieldname}' is too long.`, { param: part.fieldname });
        const value = typeof part.value === 'string' ? part.value : String(part.value);
        const existing = fields[part.fieldname];
        fields[part.fieldname] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
      }
    }
  } catch (err) {
    throw asGatewayError(err, limits.maxFileBytes);
  }
  return { fields, files };
}

/**
 * The request body as received; 413 as soon as it passes the files' limit plus the form overhead (the routes refuse a
 * larger declared length up front; a chunked upload declares none).
 */
function readWholeBody(raw: IncomingMessage, maxFileBytes: number): Promise<Buffer> {
  const maxBytes = maxFileBytes + FORM_OVERHEAD_BYTES;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      raw.off('data', onData).off('end', onEnd).off('error', onFailure).off('close', onFailure);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        // The rest is read and dropped (as the multipart reader does past a file's limit), so the connection stays
        // usable for the client's next request.
        stop();
        raw.resume();
        reject(tooLarge(maxFileBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, received));
    };
    const onFailure = () => {
      stop();
      reject(gatewayError('invalid_request', 'The request body ended before it was complete.'));
    };
    raw.on('data', onData).on('end', onEnd).on('error', onFailure).on('close', onFailure);
  });
}

/**
 * `req` with its body replaced by bytes already read: `@fastify/multipart` parses the stream it finds as `req.raw`,
 * and the socket's stream has been consumed by the signature check. Everything else (headers, the multipart flag,
 * the logger) is still the request's own.
 */
function readingFrom(req: FastifyRequest, body: Buffer): FastifyRequest {
  const raw = Object.assign(new PassThrough().end(body), { headers: req.raw.headers });
  return Object.create(req, { raw: { value: raw } }) as FastifyRequest;
}

function asGatewayError(err: unknown, maxFileBytes: number): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(maxFileBytes);
  if (code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') return gatewayError('payload_too_large', 'The form has too many parts.');
  if (code === 'FST_PROTO_VIOLATION') return gatewayError('invalid_request', 'The form has a field name that is not allowed.');
  return gatewayError('invalid_request', 'The request body is not a valid multipart form.');
}

const tooLarge = (maxBytes: number) => gatewayError('payload_too_large', `The upload is larger than the ${Math.round(maxBytes / (1024 * 1024))} MB limit.`);

/** Only the last path segment of a client's file name, in a conservative alphabet (it goes into upstream headers). */
function safeFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^\w.\- ]/g, '_').slice(0, 128);
  return clean || 'upload';
}
