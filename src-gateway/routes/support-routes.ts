import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { gatewayError } from '../errors.js';
import { parseOrInvalid } from '../protocols/validation.js';
import type { PipelineContext, Principal } from '../pipeline/context.js';
import { listOrBadCursor } from './client-routes.js';
import { parseLimit } from './query.js';

const ticketBody = z.object({
  subject: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(20_000),
  request_ids: z.array(z.string().regex(/^req_[0-9A-Za-z]{1,64}$/)).max(50).optional(),
});
const replyBody = z.object({ body: z.string().trim().min(1).max(20_000) });

const parse = parseOrInvalid;

/** Client side of support: tickets about one's own requests. Registered under /v1 and /api/v1. */
export async function supportClientRoutes(app: FastifyInstance, options: { ctx: PipelineContext; authenticate: (req: FastifyRequest) => Principal }): Promise<void> {
  const { ctx, authenticate } = options;
  const own = (principal: Principal, id: string) => {
    const ticket = ctx.store.tickets.get(id);
    if (!ticket || ticket.account_id !== principal.accountId) throw gatewayError('not_found', `No ticket '${id}'.`, { param: 'id' });
    return ticket;
  };

  app.post('/support/tickets', async (req, reply) => {
    const principal = authenticate(req);
    const body = parse(ticketBody, req.body);
    const requestIds = [...new Set(body.request_ids ?? [])];
    for (const [index, id] of requestIds.entries()) {
      if (ctx.store.requests.get(id)?.account_id !== principal.accountId) {
        throw gatewayError('invalid_request', `Request '${id}' is not one of this account's requests.`, { param: `request_ids[${index}]` });
      }
    }
    const ticket = ctx.store.tickets.create({ accountId: principal.accountId, keyId: principal.keyId, subject: body.subject, body: body.body, requestIds });
    ctx.events.emit('ticket', ticket);
    return reply.code(201).send(ticket);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/support/tickets', async (req) => {
    const principal = authenticate(req);
    return listOrBadCursor(() => ctx.store.tickets.list({ accountId: principal.accountId, status: req.query.status, cursor: req.query.cursor, limit: parseLimit(req.query.limit) }));
  });

  app.get<{ Params: { id: string } }>('/support/tickets/:id', async (req) => own(authenticate(req), req.params.id));

  app.post<{ Params: { id: string } }>('/support/tickets/:id/replies', async (req) => {
    const principal = authenticate(req);
    own(principal, req.params.id);
    return ctx.store.tickets.reply(req.params.id, 'client', parse(replyBody, req.body).body);
  });
}

/** Admin side: every ticket, answers, closing, and each linked request's full record (usage row and ledger rows). */
export async function supportAdminRoutes(app: FastifyInstance, options: { ctx: PipelineContext }): Promise<void> {
  const { ctx } = options;
  const ticket = (id: string) => {
    const found = ctx.store.tickets.get(id);
    if (!found) throw gatewayError('not_found', `No ticket '${id}'.`, { param: 'id' });
    return found;
  };

  app.get<{ Querystring: Record<string, string | undefined> }>('/admin/api/tickets', async (req) =>
    listOrBadCursor(() => ctx.store.tickets.list({ status: req.query.status, cursor: req.query.cursor, limit: parseLimit(req.query.limit) })),
  );
  app.get<{ Params: { id: string } }>('/admin/api/tickets/:id', async (req) => {
    const found = ticket(req.params.id);
    // Usage rows hold no prompt or answer text and no secrets: they are the request's full record as stored.
    const requests = found.request_ids.map((id) => ({ id, usage: ctx.store.requests.get(id) ?? null, ledger: ctx.store.wallet.forRequest(id) }));
    return { ...found, account_name: ctx.live.account(found.account_id)?.name ?? null, requests };
  });
  app.post<{ Params: { id: string } }>('/admin/api/tickets/:id/replies', async (req) => {
    ticket(req.params.id);
    return ctx.store.tickets.reply(req.params.id, 'admin', parse(replyBody, req.body).body);
  });
  app.post<{ Params: { id: string } }>('/admin/api/tickets/:id/close', async (req) => {
    ticket(req.params.id);
    return ctx.store.tickets.close(req.params.id);
  });
}
