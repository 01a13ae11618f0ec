import type { FastifyInstance, FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';
import { WalletRuleError } from '../domain/wallet.js';
import { handleChatCompletions } from '../pipeline/chat.js';
import type { PipelineContext, Principal } from '../pipeline/context.js';
import { modelView, wholeList } from './views.js';
import { parseTime, parseLimit, parseGranularity } from './query.js';

/** The OpenAI-compatible client surface; registered under both `/v1` and `/api/v1`. */
export async function clientRoutes(
  app: FastifyInstance,
  options: { ctx: PipelineContext; authenticate: (req: FastifyRequest) => Principal; isAdmin: (req: FastifyRequest) => boolean },
): Promise<void> {
  const { ctx, authenticate, isAdmin } = options;

  app.post('/chat/completions', async (req, reply) => {
    await handleChatCompletions(ctx, authenticate(req), req, reply);
    return reply;
  });

  app.get('/models', async (req) => {
    const principal = authenticate(req);
    const served = new Set(ctx.live.allDeployments().filter((d) => d.enabled).map((d) => d.model));
    const data = ctx.live
      .allModels()
      .filter((m) => served.has(m.id) && (!principal.allowedModels || principal.allowedModels.includes(m.id)))
      .map((m) => modelView(m, ctx.live.deploymentsFor(m.id)));
    return { object: 'list', data };
  });

  // A model the key may not use is as absent as one nobody serves (as `GET /models` leaves it out, and as OpenAI
  // answers for a model you cannot see): one 404, whose wording does not tell the two apart.
  app.get<{ Params: { id: string } }>('/models/:id', async (req) => {
    const principal = authenticate(req);
    const model = ctx.live.model(req.params.id);
    const deployments = ctx.live.deploymentsFor(req.params.id).filter((d) => d.enabled);
    const visible = !principal.allowedModels || principal.allowedModels.includes(req.params.id);
    if (!model || deployments.length === 0 || !visible) {
      throw gatewayError('model_not_found', `The model '${req.params.id}' does not exist or you do not have access to it.`, { param: 'model' });
    }
    return modelView(model, deployments);
  });

  app.get('/wallet', async (req) => {
    const principal = authenticate(req);
    return walletView(ctx, principal.accountId);
  });

  // The admin token tops up any account (`account` in the body, default "default"); a client key only its own, and
  // only when the admin enabled self top-up.
  app.post('/wallet/top-up', async (req) => {
    const body = req.body as { amount_micros?: unknown; account?: unknown } | undefined;
    let accountId: string;
    const admin = isAdmin(req);
    if (admin) {
      // A malformed account reference must not silently credit the default account.
      if (body?.account != null && typeof body.account !== 'string') throw gatewayError('invalid_request', "'account' must be an account id or name.", { param: 'account' });
      const ref = typeof body?.account === 'string' ? body.account : 'default';
      const found = ctx.store.accounts.find(ref);
      if (!found) throw gatewayError('not_found', `no account "${ref}"`, { param: 'account' });
      accountId = found.id;
    } else {
      accountId = authenticate(req).accountId;
      const account = ctx.live.account(accountId);
      if (!account?.allowSelfTopUp && ctx.live.settings.self_top_up !== 'true') {
        throw gatewayError('forbidden', 'Self top-up is disabled; ask the admin to top up this wallet.');
      }
    }
    const amount = body?.amount_micros;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0 || amount > 1_000_000_000_000) {
      throw gatewayError('invalid_request', "'amount_micros' must be a positive integer (at most 1,000,000 USD).", { param: 'amount_micros' });
    }
    try {
      ctx.store.wallet.topUp(accountId, amount, admin ? 'admin top-up' : 'self top-up');
    } catch (err) {
      // A balance beyond what the wallet can count exactly.
      if (err instanceof WalletRuleError) throw gatewayError('invalid_request', err.message, { param: 'amount_micros' });
      throw err;
    }
    return walletView(ctx, accountId);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/wallet/transactions', async (req) => {
    const principal = authenticate(req);
    return listOrBadCursor(() => ctx.store.wallet.transactions(principal.accountId, { cursor: req.query.cursor, limit: parseLimit(req.query.limit) }));
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/usage/requests', async (req) => {
    const principal = authenticate(req);
    const q = req.query;
    const page = listOrBadCursor(() =>
      ctx.store.requests.list({ accountId: principal.accountId, model: q.model, status: q.status, from: parseTime(q.from, 'from'), to: parseTime(q.to, 'to'), cursor: q.cursor, limit: parseLimit(q.limit) }),
    );
    // Clients see their own rows without the admin-only routing details.
    return { ...page, data: page.data.map(({ deployment_id: _d, deployment_name: _n, account_id: _a, hold_micros: _h, ...row }) => row) };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/usage/rollups', async (req) => {
    const principal = authenticate(req);
    const q = req.query;
    const data = ctx.store.requests.rollups({
      granularity: parseGranularity(q.granularity),
      from: parseTime(q.from, 'from'),
      to: parseTime(q.to, 'to'),
      accountId: principal.accountId,
      groupByModel: q.group_by === 'model',
    });
    return wholeList(data);
  });
}

export function walletView(ctx: PipelineContext, accountId: string) {
  const state = ctx.store.wallet.get(accountId);
  return {
    object: 'wallet',
    account: accountId,
    account_name: ctx.live.account(accountId)?.name ?? null,
    currency: 'USD',
    balance_micros: state.balanceMicros,
    locked_micros: state.lockedMicros,
    available_micros: state.balanceMicros - state.lockedMicros,
  };
}

export function listOrBadCursor<T>(list: () => T): T {
  try {
    return list();
  } catch (err) {
    if (err instanceof RangeError) throw gatewayError('invalid_request', err.message, { param: 'cursor' });
    throw err;
  }
}
