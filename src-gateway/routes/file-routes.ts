import fs from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { gatewayError, openAiErrorBody } from '../errors.js';
import type { MediaStore } from '../media/store.js';

/**
 * `GET /files/{id}` (at the root, and under `/v1` and `/api/v1`): media the gateway produced. No auth (the id is an unguessable capability). `Range:
 * bytes=…` (RFC 9110 §14): a single range is served as 206, an unsatisfiable one as 416; several ranges get the whole
 * file (a server may ignore Range), which every media player handles.
 */
export async function fileRoutes(app: FastifyInstance, options: { media: MediaStore }): Promise<void> {
  const { media } = options;
  app.get<{ Params: { id: string } }>('/files/:id', async (req, reply) => {
    const file = media.get(req.params.id);
    const size = file ? await fs.promises.stat(media.filePath(file.id)).then((s) => s.size, () => undefined) : undefined;
    if (!file || size === undefined) throw gatewayError('not_found', 'No file with this id.');
    reply
      .header('content-type', file.contentType)
      .header('accept-ranges', 'bytes')
      .header('cache-control', 'private, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', 'inline');
    const range = parseByteRange(req.headers.range, size);
    if (range === 'unsatisfiable') return notSatisfiable(reply, size);
    if (range) {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
      return reply.send(fs.createReadStream(media.filePath(file.id), { start: range.start, end: range.end }));
    }
    reply.header('content-length', size);
    return reply.send(fs.createReadStream(media.filePath(file.id)));
  });
}

function notSatisfiable(reply: FastifyReply, size: number): FastifyReply {
  const error = gatewayError('invalid_request', 'The requested range is not satisfiable.', { status: 416 });
  return reply.code(416).header('content-range', `bytes */${size}`).header('content-type', 'application/json').send(openAiErrorBody(error));
}

/** An inclusive byte range within a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads a `Range` header against a file of `size` bytes: a range to serve, `'unsatisfiable'` (416), or `undefined`
 * when the whole file should be sent (no header, another unit, several ranges, or a malformed value).
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start) || start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return undefined; // "bytes=5-2" is syntactically invalid: ignored, as the RFC says
  return { start, end };
}
