import { EventEmitter } from 'node:events';
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import querystring from 'node:querystring';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { loadConfig, type GatewayConfig, type GatewayOptions } from './config.js';
import { openStore, type Store } from './db/store.js';
import { createVault } from './vault/index.js';
import type { SecretVault } from './vault/types.js';
import { createControlPlane, type ControlPlane } from './control-plane.js';
import { LiveState } from './live-state.js';
import { createRouter } from './domain/routing.js';
import { KeyRateLimiter } from './domain/windows.js';
import { createMetrics } from './metrics.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { MODEL_FAMILIES } from './model-families.js';
import { createUpstreamClient } from './providers/http.js';
import { ReplayGuard } from './auth/hmac.js';
import { allowedHostNames, isAllowedHost } from './auth/host-check.js';
import { errorBody, gatewayError, GatewayError, openAiErrorBody, type ErrorProtocol } from './errors.js';
import { VERSION } from './version.js';
import { lazyRequestLoggers } from './request-logger.js';
import { openGatewayLog } from './log-file.js';
import { newId, newSortableId } from './ids.js';
import { authenticateClient } from './routes/client-auth.js';
import { clientRoutes } from './routes/client-routes.js';
import { mediaRoutes } from './routes/media-routes.js';
import { fileRoutes } from './routes/file-routes.js';
import { createMediaStore } from './media/store.js';
import { createJobRunner } from './jobs/runner.js';
import { jobRoutes } from './routes/job-routes.js';
import { adminJobsRoutes } from './routes/admin-jobs-routes.js';
import { geminiRoutes } from './routes/gemini-routes.js';
import { anthropicRoutes } from './routes/anthropic-routes.js';
import { responsesRoutes } from './routes/responses-routes.js';
import { adminRoutes } from './routes/admin-routes.js';
import { adminUiRoutes } from './routes/admin-ui-routes.js';
import { consoleRoutes } from './routes/console-routes.js';
import { supportAdminRoutes, supportClientRoutes } from './routes/support-routes.js';
import type { PipelineContext } from './pipeline/context.js';

export type { GatewayOptions } from './config.js';

export { VERSION } from './version.js';

/** JSON bodies above this are refused with 413 (contract: JSON 10 MB). */
export const JSON_BODY_LIMIT = 10 * 1024 * 1024;

/** Origins of the desktop window and of the renderer's dev server. */
const CORS_ORIGINS = new Set(['app://omixa', 'http://localhost:5173', 'http://127.0.0.1:5173']);

export interface Gateway {
  readonly app: FastifyInstance;
  readonly config: GatewayConfig;
  readonly store: Store;
  readonly control: ControlPlane;
  readonly live: LiveState;
  adminToken(): Promise<string>;
  start(): Promise<{ url: string }>;
  /** Stops accepting calls, waits (up to `drainMs`) for streams in flight, closes the database. */
  stop(drainMs?: number): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which protocol's error shape this route answers with. */
    protocol?: ErrorProtocol;
  }
}

/** Builds the gateway: config, store, vault, live state and the Fastify app with every route. Listening is `start()`. */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const config = loadConfig(options);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Stdout and <dataDir>/logs/omixa.log; nothing is logged at all when silent, so no file then.
  const log = config.logLevel === 'silent' ? undefined : openGatewayLog(config.dataDir);

  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(log ? { stream: log.stream } : {}),
      // Applied before the line reaches any destination: the file never sees a secret either.
      redact: {
        paths: ['req.headers.authorization', 'req.headers["api-key"]', 'req.headers["x-api-key"]', 'req.headers["x-goog-api-key"]', 'apiKey', 'secret', 'token', '*.apiKey', '*.secret'],
        censor: '[redacted]',
      },
    },
    // Time-ordered: request ids key the requests and ledger indexes written on every call (see newSortableId).
    genReqId: () => newSortableId('req'),
    // The pipelines log one line per finished request themselves, with its billing outcome.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    // req.log is made when something logs through it (see request-logger.ts), not for every request.
    childLoggerFactory: lazyRequestLoggers,
    bodyLimit: JSON_BODY_LIMIT,
    forceCloseConnections: true,
    return503OnClosing: false,
    // Every query value is one string (routes and SQL filters expect that): a repeated parameter keeps its first value.
    routerOptions: { querystringParser: parseQuery },
    // URLs Fastify cannot route (bad percent-encoding, over-long params) answer in the catalogue's shape too.
    frameworkErrors: (err, req, reply) => {
      const error = gatewayError('invalid_request', err.code === 'FST_ERR_BAD_URL' ? 'The request URL is not valid.' : 'The request URL is too long.');
      void (reply as unknown as FastifyReply).code(error.status).header('x-omixa-request-id', req.id).send(errorBody(error, protocolOf(req)));
    },
    clientErrorHandler: onClientError,
  });

  if (log?.failure) app.log.warn({ err: log.failure }, 'cannot write the log file; logging to stdout only');

  let store: Store;
  try {
    store = openStore(config.dataDir, { nativeBinding: options.nativeBinding });
  } catch (err) {
    log?.close();
    throw err;
  }
  let vault: SecretVault;
  try {
    vault = await createVault({ backend: config.secretBackend, dataDir: config.dataDir, namespace: store.instanceId, masterKeyHex: config.masterKeyHex, logger: app.log });
  } catch (err) {
    store.close();
    log?.close();
    throw err;
  }
  const control = createControlPlane(store, vault);
  const live = new LiveState(store, vault);
  let adminToken = await control.adminToken(config.adminToken);
  let adminTokenVersion = live.settings.admin_token_version;
  live.on('reload', () => {
    if (live.settings.admin_token_version !== adminTokenVersion) {
      adminTokenVersion = live.settings.admin_token_version;
      void control.adminToken(config.adminToken).then((token) => (adminToken = token));
    }
  });

  if (config.host !== '127.0.0.1' && config.host !== 'localhost' && config.host !== '::1') {
    app.log.warn({ host: config.host }, 'listening beyond loopback: anyone who can reach this address can try your keys');
  }

  const ctx: PipelineContext = {
    config,
    store,
    live,
    router: createRouter(),
    upstream: createUpstreamClient({ headersTimeoutMs: config.upstreamHeadersTimeoutMs, bodyTimeoutMs: config.upstreamIdleTimeoutMs }),
    families: MODEL_FAMILIES,
    limiter: new KeyRateLimiter(),
    events: new EventEmitter().setMaxListeners(100),
    log: app.log,
    inFlight: new Set(),
  };

  // Hourly token windows survive a restart: rebuild them from the last hour of usage rows.
  const byDeployment = new Map<string, { at: number; tokens: number }[]>();
  for (const row of store.requests.tokensByDeploymentSince(Date.now() - 3_600_000)) {
    byDeployment.set(row.deployment_id, [...(byDeployment.get(row.deployment_id) ?? []), { at: row.at, tokens: row.tokens }]);
  }
  for (const [id, entries] of byDeployment) ctx.router.seedHourly(id, entries);

  registerParsers(app);
  registerErrorHandling(app);

  const hosts = allowedHostNames(config.host, config.allowedHosts);
  // A callback hook, not an async one: it runs on every request, and a promise per request is measurable there.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-omixa-request-id', req.id);
    if (!isAllowedHost(req.headers.host, hosts)) return done(gatewayError('invalid_host'));
    const origin = req.headers.origin;
    // The desktop window (app://omixa) and the renderer dev server are the only foreign origins allowed to call.
    if (origin && CORS_ORIGINS.has(origin)) {
      // Set on the raw response: Node merges them into every head, also of streams that hijack the reply (chat SSE,
      // the admin event feed) and write their own.
      reply.raw.setHeader('access-control-allow-origin', origin).setHeader('vary', 'Origin').setHeader('access-control-expose-headers', 'x-omixa-request-id');
    }
    done();
  });
  app.options('/*', async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin || !CORS_ORIGINS.has(origin)) throw gatewayError('forbidden', 'This origin may not call the gateway.');
    return reply
      .code(204)
      .header('access-control-allow-headers', 'authorization, content-type, x-api-key, x-goog-api-key, anthropic-version, x-omixa-timestamp, x-omixa-signature')
      .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
      .header('access-control-max-age', '600')
      .send();
  });

  const replay = new ReplayGuard();
  const authenticate = (req: FastifyRequest) =>
    authenticateClient(req, { live, replay, requireSignature: () => config.requireSignature || live.settings.require_signature === 'true' });
  const isAdmin = (req: FastifyRequest): boolean => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const given = Buffer.from(match?.[1] ?? '');
    const expected = Buffer.from(adminToken);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const requireAdmin = (req: FastifyRequest): void => {
    if (!isAdmin(req)) throw gatewayError('invalid_api_key', 'Missing or wrong admin token.');
  };

  app.get('/health', async () => ({ status: 'ok', version: VERSION }));
  const metrics = createMetrics(ctx.events, ctx.router, live);
  app.get('/metrics', async (req, reply) => {
    const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '');
    if (!loopback && !isAdmin(req)) throw gatewayError('invalid_api_key', 'Metrics need the admin token from beyond loopback.');
    return reply.type(metrics.contentType).send(await metrics.metrics());
  });
  await app.register(clientRoutes, { prefix: '/v1', ctx, authenticate, isAdmin });
  await app.register(clientRoutes, { prefix: '/api/v1', ctx, authenticate, isAdmin });
  const media = createMediaStore(store.db, config.dataDir);
  await app.register(mediaRoutes, { prefix: '/v1', ctx, authenticate, media });
  await app.register(mediaRoutes, { prefix: '/api/v1', ctx, authenticate, media });
  // At the root (the URLs the gateway hands out) and under both client base paths, like every client endpoint.
  await app.register(fileRoutes, { media });
  await app.register(fileRoutes, { prefix: '/v1', media });
  await app.register(fileRoutes, { prefix: '/api/v1', media });
  const jobs = createJobRunner(ctx, media, options.env ?? process.env);
  await app.register(jobRoutes, { prefix: '/v1', ctx, authenticate, jobs });
  await app.register(jobRoutes, { prefix: '/api/v1', ctx, authenticate, jobs });
  await app.register(adminJobsRoutes, { ctx, jobs, requireAdmin });
  await app.register(geminiRoutes, { ctx, authenticate });
  await app.register(anthropicRoutes, { prefix: '/v1', ctx, authenticate });
  await app.register(anthropicRoutes, { prefix: '/api/v1', ctx, authenticate });
  await app.register(responsesRoutes, { prefix: '/v1', ctx, authenticate });
  await app.register(responsesRoutes, { prefix: '/api/v1', ctx, authenticate });
  await app.register(supportClientRoutes, { prefix: '/v1', ctx, authenticate });
  await app.register(supportClientRoutes, { prefix: '/api/v1', ctx, authenticate });
  await app.register(adminRoutes, { ctx, control, requireAdmin, vault, rotateAdminToken: async () => {
    adminToken = await control.rotateAdminToken();
    store.settings.set('admin_token_version', String(Date.now()));
    return adminToken;
  } });
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (req) => requireAdmin(req));
    await scope.register(supportAdminRoutes, { ctx });
  });
  await app.register(adminUiRoutes, { ctx, requireAdmin });
  await app.register(consoleRoutes, { consoleDir: config.consoleDir });

  live.watch(config.reloadIntervalMs);

  // Stored responses past their retention are deleted at start, then hourly.
  let responsesSweep: NodeJS.Timeout | undefined;
  const sweepResponses = (): void => {
    try {
      const deleted = store.responses.sweepExpired(Date.now());
      if (deleted > 0) app.log.info({ deleted }, 'deleted stored responses past their retention');
    } catch (err) {
      app.log.error({ err }, 'stored responses retention sweep failed');
    }
  };

  let stopped = false;
  let unlock = (): void => {};
  return {
    app,
    config,
    store,
    control,
    live,
    adminToken: async () => adminToken,
    async start() {
      // Requests a previous run left pending (a crash) are released only once this instance owns the port: a start that
      // fails (EADDRINUSE: a gateway already serves this data dir) must not release that gateway's holds in flight. The
      // ids are taken before listening so that calls this instance accepts are never among them.
      unlock = acquireDataDirLock(config.dataDir);
      // Running media jobs keep their holds across restarts: the job runner resumes them.
      const unfinished = jobs.claimRecovery(store.requests.pendingIds());
      let address: string;
      try {
        address = await app.listen({ host: config.host, port: config.port });
      } catch (err) {
        unlock();
        unlock = () => {};
        throw err;
      }
      const released = store.billing.releaseUnfinished(Date.now(), unfinished);
      if (released > 0) app.log.warn({ released }, 'released the holds of requests that never finished');
      app.log.info({ address, backend: vault.backend }, 'omixa gateway listening');
      const port = (app.server.address() as { port: number }).port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      jobs.start(`http://${host}:${port}`);
      sweepResponses();
      responsesSweep = setInterval(sweepResponses, 3_600_000);
      responsesSweep.unref();
      return { url: `http://${host}:${port}` };
    },
    async stop(drainMs = 10_000) {
      if (stopped) return;
      stopped = true;
      live.stop();
      clearInterval(responsesSweep);
      const closing = app.close();
      if (ctx.inFlight.size > 0) {
        await Promise.race([Promise.allSettled([...ctx.inFlight]), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
      }
      await closing;
      await jobs.stop();
      await ctx.upstream.close();
      store.close();
      unlock();
      log?.close();
    },
  };
}

/** JSON for every content type (curl -d sends form encoding), keeping the raw text for HMAC signatures. */
function registerParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: JSON_BODY_LIMIT }, (req, body, done) => {
    const text = body as string;
    req.rawBody = text;
    if (text.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(gatewayError('invalid_request', 'The request body is not valid JSON.'), undefined);
    }
  });
}

function parseQuery(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(querystring.parse(text))) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first;
  }
  return out;
}

/** Requests Node's HTTP parser refuses (bad Content-Length, header overflow…): still a JSON error in the catalogue's shape. */
function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'The request took too long to arrive.']
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
    : [400, 'Bad Request', 'The request is not valid HTTP.'];
  const body = JSON.stringify(openAiErrorBody(gatewayError('invalid_request', message, { status })));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Omixa-Request-Id: ${newId('req')}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

function protocolOf(req: FastifyRequest): ErrorProtocol {
  if (req.routeOptions?.config?.protocol) return req.routeOptions.config.protocol;
  if (req.url.startsWith('/v1beta/')) return 'google';
  if (/^\/(api\/)?v1\/messages/.test(req.url)) return 'anthropic';
  return 'openai';
}

/** One error handler: catalogue errors in the route's protocol shape; anything else is a 500 without details. */
function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | GatewayError, req, reply) => {
    let error: GatewayError;
    if (err instanceof GatewayError) error = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') error = gatewayError('payload_too_large', 'The request body is larger than the 10 MB limit.');
    else if (err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') error = gatewayError('invalid_request', 'Content-Length does not match the body.');
    else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) error = gatewayError('invalid_request', err.message);
    else {
      req.log.error({ err }, 'unhandled error');
      error = gatewayError('internal_error');
    }
    if (reply.sent || reply.raw.headersSent) return;
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
    void reply.code(error.status).send(errorBody(error, protocolOf(req)));
  });
  app.setNotFoundHandler((req, reply) => {
    const error = gatewayError('not_found', `No route for ${req.method} ${req.url.split('?')[0]}.`);
    void reply.code(404).send(errorBody(error, protocolOf(req)));
  });
}
