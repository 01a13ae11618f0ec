import type { FastifyInstance, FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';
import type { PipelineContext } from '../pipeline/context.js';
import type { MediaRow } from '../media/store.js';
import { clampLimit, decodeCursor, toPage } from '../db/pagination.js';
import { listOrBadCursor } from './client-routes.js';
import { parseLimit } from './query.js';

/** Admin endpoints the desktop UI needs beyond admin-routes.ts. Registered behind the admin token. */
export interface AdminUiRouteOptions {
  ctx: PipelineContext;
  requireAdmin: (req: FastifyRequest) => void;
}

/** A media row with its place in the list and the request that made it. */
interface MediaListRow extends MediaRow {
  seq: number;
  model: string | null;
  endpoint: string | null;
}

/** `kind` filter → content-type prefix. */
const KINDS: Record<string, string> = { image: 'image/', audio: 'audio/', video: 'video/' };

export async function adminUiRoutes(app: FastifyInstance, options: AdminUiRouteOptions): Promise<void> {
  const { ctx, requireAdmin } = options;
  app.addHook('onRequest', async (req) => requireAdmin(req));

  const listMedia = ctx.store.db.prepare<[Record<string, unknown>], MediaListRow>(
    `SELECT m.seq, m.id, m.account_id, m.request_id, m.content_type, m.size_bytes, m.created_at, r.model, r.endpoint
       FROM media_files m LEFT JOIN requests r ON r.id = m.request_id
      WHERE m.seq < @before
        AND (@account IS NULL OR m.account_id = @account)
        AND (@prefix IS NULL OR substr(m.content_type, 1, length(@prefix)) = @prefix)
      ORDER BY m.seq DESC LIMIT @limit`,
  );

  /** Media the gateway produced (newest first), with the model and endpoint of the request that made each file. */
  app.get<{ Querystring: Record<string, string | undefined> }>('/admin/api/media', async (req) => {
    const q = req.query;
    const prefix = q.kind ? KINDS[q.kind] : undefined;
    if (q.kind && !prefix) throw gatewayError('invalid_request', "'kind' must be image, audio or video.", { param: 'kind' });
    const account = q.account ? ctx.store.accounts.find(q.account) : undefined;
    if (q.account && !account) throw gatewayError('not_found', `no account "${q.account}"`, { param: 'account' });
    const limit = clampLimit(parseLimit(q.limit));
    return listOrBadCursor(() => {
      const rows = listMedia.all({ before: decodeCursor(q.cursor) ?? Number.MAX_SAFE_INTEGER, account: account?.id ?? null, prefix: prefix ?? null, limit: limit + 1 });
      return toPage(rows, limit, (row) => ({
        id: row.id,
        url: `/files/${row.id}`,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        account_id: row.account_id,
        account_name: ctx.live.account(row.account_id)?.name ?? null,
        request_id: row.request_id,
        model: row.model,
        endpoint: row.endpoint,
        created_at: Math.floor(row.created_at / 1000),
      }));
    });
  });
}
