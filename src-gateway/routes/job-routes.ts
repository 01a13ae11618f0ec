import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { gatewayError } from '../errors.js';
import type { JobKind } from '../domain/media-jobs.js';
import { IMAGE_BYTES_LIMIT } from '../pipeline/images.js';
import type { PipelineContext, Principal } from '../pipeline/context.js';
import { readJobRequest } from '../jobs/request.js';
import { jobView } from '../jobs/views.js';
import type { JobRunner } from '../jobs/runner.js';
import { listOrBadCursor } from './client-routes.js';
import { FORM_OVERHEAD_BYTES } from './multipart-form.js';
import { parseLimit } from './query.js';

export interface JobRouteOptions {
  ctx: PipelineContext;
  authenticate: (req: FastifyRequest) => Principal;
  jobs: JobRunner;
}

/** A JSON body may carry the image as base64: 4/3 of the image, plus the other fields. */
const JSON_WITH_IMAGE_BYTES = Math.ceil((IMAGE_BYTES_LIMIT * 4) / 3) + FORM_OVERHEAD_BYTES;

const PATHS: Record<JobKind, string> = { video: '/videos/generations', music: '/music/generations' };

/** Refuses a declared body over the image limit before reading a byte of it. */
async function declaredSizeLimit(req: FastifyRequest): Promise<void> {
  const declared = Number(req.headers['content-length']);
  if (!Number.isFinite(declared)) return;
  const limit = req.headers['content-type']?.startsWith('multipart/') ? IMAGE_BYTES_LIMIT + FORM_OVERHEAD_BYTES : JSON_WITH_IMAGE_BYTES;
  if (declared > limit) throw gatewayError('payload_too_large', `The upload is larger than the ${Math.round(IMAGE_BYTES_LIMIT / (1024 * 1024))} MB limit.`);
}

/**
 * Asynchronous media jobs for clients, under `/v1` and `/api/v1`: `POST /videos/generations` and
 * `/music/generations` submit a job and answer it at once (200, `status: "queued"`); `GET …/{id}` reports it;
 * `DELETE …/{id}` and `POST …/{id}/cancel` cancel it where the upstream can; `GET …` lists the caller's own jobs.
 * A job is visible only to the account that made it.
 */
export async function jobRoutes(app: FastifyInstance, options: JobRouteOptions): Promise<void> {
  const { authenticate, jobs } = options;
  // Multipart only in this scope (image-to-video uploads); every other route keeps the JSON-only parser.
  await app.register(multipart, { throwFileSizeLimit: true, limits: { fileSize: IMAGE_BYTES_LIMIT } });
  const origin = (req: FastifyRequest) => `${req.protocol}://${req.headers.host}`;

  for (const kind of ['video', 'music'] as const) {
    const path = PATHS[kind];

    app.post(path, { bodyLimit: JSON_WITH_IMAGE_BYTES, onRequest: declaredSizeLimit }, async (req, reply) => {
      const principal = authenticate(req);
      const request = await readJobRequest(req, kind);
      const job = await jobs.submit(principal, req.id, kind, request);
      return reply.code(200).send(jobView(job, origin(req), jobs.retentionMs()));
    });

    app.get<{ Querystring: Record<string, string | undefined> }>(path, async (req) => {
      const principal = authenticate(req);
      const q = req.query;
      const page = listOrBadCursor(() => jobs.repo.list({ accountId: principal.accountId, kind, status: q.status, model: q.model, cursor: q.cursor, limit: parseLimit(q.limit) }));
      return { ...page, data: page.data.map((job) => jobView(job, origin(req), jobs.retentionMs())) };
    });

    app.get<{ Params: { id: string } }>(`${path}/:id`, async (req) => {
      const principal = authenticate(req);
      return jobView(jobs.owned(req.params.id, kind, principal.accountId), origin(req), jobs.retentionMs());
    });

    const cancel = async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const principal = authenticate(req);
      const job = await jobs.cancel(jobs.owned(req.params.id, kind, principal.accountId));
      return reply.send(jobView(job, origin(req), jobs.retentionMs()));
    };
    app.delete<{ Params: { id: string } }>(`${path}/:id`, cancel);
    app.post<{ Params: { id: string } }>(`${path}/:id/cancel`, cancel);
  }
}
