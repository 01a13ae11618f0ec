import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { gatewayError } from '../errors.js';
import type { PipelineContext } from '../pipeline/context.js';
import { DEFAULT_RETENTION_DAYS, retentionDays } from '../domain/media-jobs.js';
import { adminJobView } from '../jobs/views.js';
import type { JobRunner } from '../jobs/runner.js';
import type { JobRecord } from '../db/jobs-repository.js';
import { listOrBadCursor } from './client-routes.js';
import { parseLimit, parseTime } from './query.js';

export interface AdminJobRouteOptions {
  ctx: PipelineContext;
  jobs: JobRunner;
  requireAdmin: (req: FastifyRequest) => void;
}

const KINDS = ['video', 'music'];
const STATUSES = ['submitting', 'queued', 'in_progress', 'completed', 'failed', 'cancelled', 'expired'];
const retentionBody = z.object({ media_retention_days: z.number().min(0).max(36_500) });

/**
 * The desktop Media gallery's API (admin token): every account's jobs with filters and cursor pagination, each with a
 * preview URL of its media; one job with its usage row and ledger moves; an admin cancel; and the media retention
 * setting (`media_retention_days`, default 30, 0 = keep forever).
 */
export async function adminJobsRoutes(app: FastifyInstance, options: AdminJobRouteOptions): Promise<void> {
  const { ctx, jobs, requireAdmin } = options;
  app.addHook('onRequest', async (req) => requireAdmin(req));
  const origin = (req: FastifyRequest) => `${req.protocol}://${req.headers.host}`;
  const view = (req: FastifyRequest, job: JobRecord) => adminJobView(job, origin(req), ctx.live.account(job.accountId)?.name ?? null, jobs.retentionMs());
  const find = (id: string): JobRecord => {
    const job = jobs.repo.get(id);
    if (!job) throw gatewayError('not_found', `No job with id '${id}'.`, { param: 'id' });
    return job;
  };

  app.get<{ Querystring: Record<string, string | undefined> }>('/admin/api/jobs', async (req) => {
    const q = req.query;
    let accountId: string | undefined;
    if (q.account) {
      accountId = ctx.store.accounts.find(q.account)?.id;
      if (!accountId) throw gatewayError('not_found', `No account '${q.account}'.`, { param: 'account' });
    }
    if (q.kind && !KINDS.includes(q.kind)) throw gatewayError('invalid_request', "'kind' must be video or music.", { param: 'kind' });
    if (q.status && !STATUSES.includes(q.status)) throw gatewayError('invalid_request', `'status' must be one of ${STATUSES.join(', ')}.`, { param: 'status' });
    const page = listOrBadCursor(() =>
      jobs.repo.list({ accountId, kind: q.kind, status: q.status, model: q.model, from: parseTime(q.from, 'from'), to: parseTime(q.to, 'to'), cursor: q.cursor, limit: parseLimit(q.limit) }),
    );
    return { ...page, data: page.data.map((job) => view(req, job)) };
  });

  app.get<{ Params: { id: string } }>('/admin/api/jobs/:id', async (req) => {
    const job = find(req.params.id);
    return { ...view(req, job), usage: ctx.store.requests.get(job.requestId) ?? null, ledger: ctx.store.wallet.forRequest(job.requestId) };
  });

  app.post<{ Params: { id: string } }>('/admin/api/jobs/:id/cancel', async (req) => view(req, await jobs.cancel(find(req.params.id))));

  app.get('/admin/api/media/retention', async () => retentionView());
  app.patch('/admin/api/media/retention', async (req) => {
    const parsed = retentionBody.safeParse(req.body ?? {});
    if (!parsed.success) throw gatewayError('invalid_request', "'media_retention_days' must be a number of days from 0 (keep forever) to 36500.", { param: 'media_retention_days' });
    ctx.store.settings.set('media_retention_days', String(parsed.data.media_retention_days));
    ctx.live.invalidate();
    // A shorter retention applies now, not at the next sweep.
    await jobs.sweep();
    return retentionView();
  });

  function retentionView() {
    return { media_retention_days: retentionDays(ctx.live.settings.media_retention_days), default_days: DEFAULT_RETENTION_DAYS };
  }
}
