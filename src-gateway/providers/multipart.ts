import { randomBytes } from 'node:crypto';
import type { UploadedFile } from './types.js';

/** Characters a header parameter value cannot carry as is: quotes and line breaks. */
const UNSAFE_PARAM = /["\r\n]/g;

/**
 * Encodes text fields and files as `multipart/form-data` (RFC 7578) for an upstream call. Built in memory: uploads
 * are already capped (20–25 MB) and held as buffers, and a finished body lets the HTTP client send a Content-Length,
 * which some upstreams require for uploads.
 */
export function encodeMultipart(
  fields: Record<string, string | string[]>,
  files: readonly UploadedFile[],
  boundary = `----omixa${randomBytes(12).toString('hex')}`,
): { contentType: string; body: Buffer } {
  const parts: Buffer[] = [];
  const head = (name: string, extra = '') =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeParam(name)}"${extra}\r\n`, 'utf8');
  for (const [name, value] of Object.entries(fields)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      parts.push(head(name), Buffer.from(`\r\n${one}\r\n`, 'utf8'));
    }
  }
  for (const file of files) {
    parts.push(
      head(file.field, `; filename="${escapeParam(file.filename)}"`),
      Buffer.from(`Content-Type: ${file.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`, 'utf8'),
      file.data,
      Buffer.from('\r\n', 'utf8'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(parts) };
}

/** Browsers percent-encode these in field and file names (WHATWG form encoding); upstreams accept it. */
function escapeParam(value: string): string {
  return value.replace(UNSAFE_PARAM, (c) => ({ '"': '%22', '\r': '%0D', '\n': '%0A' })[c] ?? c);
}
