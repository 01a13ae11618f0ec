import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { gatewayError } from '../errors.js';
import { parseOrInvalid } from '../protocols/validation.js';
import type { ControlPlane } from '../control-plane.js';
import { viewDeployment } from '../control-plane.js';
import type { SecretVault } from '../vault/types.js';
import type { PipelineContext } from '../pipeline/context.js';
import { handleChatCompletions } from '../pipeline/chat.js';
import { testDeployment } from '../pipeline/deployment-test.js';
import { modelView, wholeList } from './views.js';
import { walletView, listOrBadCursor } from './client-routes.js';
import { parseGranularity, parseLimit, parseTime } from './query.js';
import type { UsageRecord } from '../db/requests-repository.js';
import { SseWriter } from '../streaming/sse-writer.js';
import { VERSION } from '../version.js';

export interface AdminRouteOptions {
  ctx: PipelineContext;
  control: ControlPlane;
  vault: SecretVault;
  requireAdmin: (req: FastifyRequest) => void;
  rotateAdminToken: () => Promise<string>;
}

const parse = parseOrInvalid;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const deploymentBody = z.object({
  name: z.string().min(1).max(64),
  provider: z.string().optional(),
  model: z.string().min(1).max(128),
  endpoint: z.string().min(1).max(2048),
  deployment: z.string().max(256).optional(),
  api_key: z.string().min(1).max(16_384),
  api_version: z.string().max(64).nullish(),
  region: z.string().max(64).nullish(),
  rpm: count.optional(),
  tpm: count.optional(),
  hourly_tokens: count.optional(),
  weight: count.optional(),
  priority: count.optional(),
  fast_mode: z.boolean().optional(),
  enabled: z.boolean().optional(),
  modality: z.string().optional(),
  /** Provider settings that have no column, e.g. Vertex `project` and `location`. */
  options: z.record(z.string(), z.unknown()).optional(),
});
const deploymentPatch = deploymentBody.omit({ name: true, model: true, provider: true, modality: true }).partial();
const priceValue = z.union([z.string(), z.number(), z.null()]).optional();
const priceBody = z.object({
  input_per_mtok: priceValue,
  cached_input_per_mtok: priceValue,
  cache_write_per_mtok: priceValue,
  output_per_mtok: priceValue,
  per_image: priceValue,
  per_second: priceValue,
  per_1k_chars: priceValue,
  per_1k_searches: priceValue,
});
const keyBody = z.object({
  name: z.string().min(1).max(100),
  account: z.string().optional(),
  rpm: count.nullish(),
  tpm: count.nullish(),
  models: z.array(z.string().min(1)).nullish(),
  require_signature: z.boolean().optional(),
});
const moneyBody = z.object({ amount_micros: z.number().int(), note: z.string().max(500).optional() });
const settingsBody = z.object({ require_signature: z.boolean().optional(), self_top_up: z.boolean().optional() });

/** `/admin/api/*` and `/playground/*`: everything the desktop UI does, behind the admin token. */
export async function adminRoutes(app: FastifyInstance, options: AdminRouteOptions): Promise<void> {
  const { ctx, control, requireAdmin } = options;
  const { store, live } = ctx;
  const changed = () => live.invalidate();

  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/admin/api') || req.url.startsWith('/playground')) requireAdmin(req);
  });

  const accountView = (id: string) => {
    const account = control.account(id);
    return { id: account.id, name: account.name, allow_self_top_up: account.allowSelfTopUp, created_at: Math.floor(account.createdAt / 1000), wallet: walletView(ctx, account.id) };
  };

  app.get('/admin/api/overview', async () => {
    const dayStart = new Date();
    dayStart.setUTCHours(0, 0, 0, 0);
    const today = store.requests.rollups({ granularity: 'day', from: dayStart.getTime(), groupByModel: false })[0];
    const deployments = live.allDeployments();
    return {
      version: VERSION,
      accounts: store.accounts.list().length,
      deployments: { total: deployments.length, enabled: deployments.filter((d) => d.enabled).length },
      today: { requests: today?.requests ?? 0, errors: today?.errors ?? 0, cost_micros: today?.cost_micros ?? 0, prompt_tokens: today?.prompt_tokens ?? 0, completion_tokens: today?.completion_tokens ?? 0 },
      secret_backend: options.vault.backend,
    };
  });

  // Accounts and wallets
  app.get('/admin/api/accounts', async () => ({ object: 'list', data: store.accounts.list().map((a) => accountView(a.id)) }));
  app.post('/admin/api/accounts', async (req, reply) => {
    const body = parse(z.object({ name: z.string().min(1).max(64) }), req.body);
    const account = control.createAccount(body.name);
    changed();
    return reply.code(201).send(accountView(account.id));
  });
  app.get<{ Params: { id: string } }>('/admin/api/accounts/:id', async (req) => accountView(req.params.id));
  app.post<{ Params: { id: string } }>('/admin/api/accounts/:id/top-up', async (req) => {
    const body = parse(moneyBody, req.body);
    control.topUp(req.params.id, body.amount_micros, body.note);
    return accountView(req.params.id);
  });
  app.post<{ Params: { id: string } }>('/admin/api/accounts/:id/adjust', async (req) => {
    const body = parse(moneyBody, req.body);
    control.adjust(req.params.id, body.amount_micros, body.note);
    return accountView(req.params.id);
  });
  app.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>('/admin/api/accounts/:id/transactions', async (req) => {
    const account = control.account(req.params.id);
    return listOrBadCursor(() => store.wallet.transactions(account.id, { cursor: req.query.cursor, limit: parseLimit(req.query.limit) }));
  });

  // Client keys
  app.get<{ Querystring: { account?: string } }>('/admin/api/keys', async (req) => {
    const accountId = req.query.account ? control.account(req.query.account).id : undefined;
    return { object: 'list', data: store.keys.list(accountId) };
  });
  app.post('/admin/api/keys', async (req, reply) => {
    const body = parse(keyBody, req.body);
    const created = control.createKey({ name: body.name, account: body.account, rpm: body.rpm ?? undefined, tpm: body.tpm ?? undefined, models: body.models ?? undefined, requireSignature: body.require_signature });
    changed();
    return reply.code(201).send({ ...created.record, key: created.key });
  });
  app.patch<{ Params: { id: string } }>('/admin/api/keys/:id', async (req) => {
    const body = parse(keyBody.partial().omit({ account: true }), req.body);
    const updated = store.keys.update(req.params.id, { name: body.name, rpm: body.rpm, tpm: body.tpm, models: body.models, requireSignature: body.require_signature });
    if (!updated) throw gatewayError('not_found', `no key "${req.params.id}"`);
    changed();
    return updated;
  });
  app.delete<{ Params: { id: string } }>('/admin/api/keys/:id', async (req) => {
    control.revokeKey(req.params.id);
    changed();
    return { id: req.params.id, revoked: true };
  });

  // Deployments
  const deploymentWithHealth = (name: string) => {
    const d = control.deployment(name);
    return { ...viewDeployment(d), health: ctx.router.health(d.id, Date.now()) };
  };
  app.get('/admin/api/deployments', async () => ({ object: 'list', data: live.allDeployments().map((d) => deploymentWithHealth(d.id)) }));
  app.post('/admin/api/deployments', async (req, reply) => {
    const b = parse(deploymentBody, req.body);
    const result = await control.addDeployment({
      name: b.name,
      provider: b.provider,
      model: b.model,
      endpoint: b.endpoint,
      deployment: b.deployment,
      apiKey: b.api_key,
      apiVersion: b.api_version,
      region: b.region,
      rpm: b.rpm,
      tpm: b.tpm,
      hourlyTokens: b.hourly_tokens,
      weight: b.weight,
      priority: b.priority,
      fastMode: b.fast_mode,
      enabled: b.enabled,
      modality: b.modality,
      options: b.options,
    });
    changed();
    return reply.code(201).send({ ...result.deployment, added_unpriced_model: result.addedUnpricedModel });
  });
  app.get<{ Params: { name: string } }>('/admin/api/deployments/:name', async (req) => deploymentWithHealth(req.params.name));
  app.patch<{ Params: { name: string } }>('/admin/api/deployments/:name', async (req) => {
    const b = parse(deploymentPatch, req.body);
    const updated = await control.updateDeployment(req.params.name, {
      endpoint: b.endpoint,
      deployment: b.deployment,
      apiKey: b.api_key,
      apiVersion: b.api_version,
      region: b.region,
      rpm: b.rpm,
      tpm: b.tpm,
      hourlyTokens: b.hourly_tokens,
      weight: b.weight,
      priority: b.priority,
      fastMode: b.fast_mode,
      enabled: b.enabled,
      options: b.options,
    });
    changed();
    return updated;
  });
  app.delete<{ Params: { name: string } }>('/admin/api/deployments/:name', async (req) => {
    const removed = await control.removeDeployment(req.params.name);
    changed();
    return { ...removed, deleted: true };
  });
  app.post<{ Params: { name: string } }>('/admin/api/deployments/:name/test', async (req) => {
    const deployment = control.deployment(req.params.name);
    return testDeployment(deployment, await live.secretFor(deployment), ctx.upstream);
  });
  app.get('/admin/api/health', async () => ({
    object: 'list',
    data: live.allDeployments().map((d) => ({
      id: d.id,
      name: d.name,
      model: d.model,
      enabled: d.enabled,
      limits: { rpm: d.rpm, tpm: d.tpm, hourly_tokens: d.hourlyTokens },
      ...ctx.router.health(d.id, Date.now()),
    })),
  }));

  // Catalog and prices
  app.get('/admin/api/models', async () => ({ object: 'list', data: live.allModels().map((m) => modelView(m, live.deploymentsFor(m.id))) }));
  app.patch<{ Params: { id: string } }>('/admin/api/models/:id/price', async (req) => {
    const b = parse(priceBody, req.body);
    const updated = control.setPrice(req.params.id, {
      input: b.input_per_mtok,
      cachedInput: b.cached_input_per_mtok,
      cacheWrite: b.cache_write_per_mtok,
      output: b.output_per_mtok,
      perImage: b.per_image,
      perSecond: b.per_second,
      per1kChars: b.per_1k_chars,
      per1kSearches: b.per_1k_searches,
    });
    changed();
    return modelView(updated, live.deploymentsFor(updated.id));
  });

  // Usage across accounts
  app.get<{ Querystring: Record<string, string | undefined> }>('/admin/api/usage/requests', async (req) => {
    const q = req.query;
    const accountId = q.account ? control.account(q.account).id : undefined;
    return listOrBadCursor(() =>
      store.requests.list({ accountId, model: q.model, status: q.status, from: parseTime(q.from, 'from'), to: parseTime(q.to, 'to'), cursor: q.cursor, limit: parseLimit(q.limit) }),
    );
  });
  app.get<{ Params: { id: string } }>('/admin/api/usage/requests/:id', async (req) => {
    const record = store.requests.get(req.params.id);
    if (!record) throw gatewayError('not_found', `no request "${req.params.id}"`);
    return record;
  });
  app.get<{ Querystring: Record<string, string | undefined> }>('/admin/api/usage/rollups', async (req) => {
    const q = req.query;
    const accountId = q.account ? control.account(q.account).id : undefined;
    const data = store.requests.rollups({ granularity: parseGranularity(q.granularity), from: parseTime(q.from, 'from'), to: parseTime(q.to, 'to'), accountId, groupByModel: q.group_by === 'model' });
    return wholeList(data);
  });

  // Live feed of finished requests for the dashboard.
  app.get('/admin/api/events', async (req, reply) => {
    reply.hijack();
    const writer = new SseWriter(reply.raw, { paddingBytes: 0, heartbeatMs: 15_000, headers: { 'x-omixa-request-id': req.id } });
    writer.open();
    const onRequest = (record: UsageRecord) => writer.writeEvent(`event: request\ndata: ${JSON.stringify(record)}`);
    ctx.events.on('request', onRequest);
    const onJob = (job: unknown) => writer.writeEvent(`event: job\ndata: ${JSON.stringify(job)}`);
    ctx.events.on('job', onJob);
    reply.raw.on('close', () => {
      ctx.events.off('request', onRequest);
      ctx.events.off('job', onJob);
      writer.end();
    });
  });

  // Settings and maintenance
  app.get('/admin/api/settings', async () => settingsView());
  app.patch('/admin/api/settings', async (req) => {
    const b = parse(settingsBody, req.body);
    if (b.require_signature !== undefined) store.settings.set('require_signature', String(b.require_signature));
    if (b.self_top_up !== undefined) store.settings.set('self_top_up', String(b.self_top_up));
    changed();
    return settingsView();
  });
  function settingsView() {
    const c = ctx.config;
    return {
      host: c.host,
      port: c.port,
      data_dir: c.dataDir,
      secret_backend: options.vault.backend,
      require_signature: c.requireSignature || live.settings.require_signature === 'true',
      self_top_up: live.settings.self_top_up === 'true',
      stream_chunk_bytes: c.streamChunkBytes,
      stream_heartbeat_seconds: c.heartbeatSeconds,
      stream_flush_padding_bytes: c.paddingBytes,
    };
  }
  app.get('/admin/api/doctor', async () => {
    const violations = store.wallet.allViolations();
    return { ledger_ok: Object.keys(violations).length === 0, violations, integrity: store.db.pragma('quick_check', { simple: true }) };
  });
  app.post('/admin/api/admin-token/rotate', async () => ({ token: await options.rotateAdminToken() }));

  // The UI's chat endpoint, billed to a chosen account.
  app.post('/playground/chat/completions', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // A malformed account reference must not silently bill the default account.
    if (body.account != null && typeof body.account !== 'string') throw gatewayError('invalid_request', "'account' must be an account id or name.", { param: 'account' });
    const accountRef = typeof body.account === 'string' ? body.account : undefined;
    const account = control.account(accountRef);
    delete body.account;
    await handleChatCompletions(ctx, { accountId: account.id, keyId: null, source: 'playground', allowedModels: null, limits: null }, req, reply);
    return reply;
  });
}
