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

const MAX_FIELDS = 64;
const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_FILES = 20;

/**
 * Reads a `multipart/form-data` request into memory (uploads are capped at 20–25 MB, and the upstream call is
 * re-encoded from these buffers). Limit breaches are 413 `payload_too_large`; a malformed form is 400.
 */
export async function readMultipartForm(req: FastifyRequest, limits: MultipartLimits): Promise<MultipartForm> {
  const fields: Record<string, string | string[]> = {};
  const files: UploadedFile[] = [];
  let total = 0;
  try {
    const parts = req.parts({ limits: { fileSize: limits.maxFileBytes, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, files: MAX_FILES } });
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
