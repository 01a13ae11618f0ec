import type { FastifyReply, FastifyRequest } from 'fastify';
import { gatewayError, GatewayError } from '../errors.js';
import type { Modality, ModelRecord } from '../db/catalog-repository.js';
import type { Deployment } from '../db/deployments-repository.js';
import type { NewRequest, RequestOutcome } from '../db/requests-repository.js';
import { mediaCostMicros, type MediaUsage } from '../domain/media-pricing.js';
import type { Admission } from '../domain/windows.js';
import { providerFor } from '../providers/index.js';
import { classifyTransportError, type UpstreamResponse } from '../providers/http.js';
import { sendWithFailover } from './failover.js';
import type { Endpoint, Provider, UpstreamCall } from '../providers/types.js';
import type { PipelineContext, Principal } from './context.js';
import { admitKey, assertModelAllowed, endAdmission, holdOrRefuse, usageRecord } from './admission.js';

/** The non-chat endpoints, each with the provider method that builds its upstream call. */
export const MEDIA_BUILDERS = {
  embeddings: 'embeddings',
  rerank: 'rerank',
  'images.generations': 'imageGenerations',
  'images.edits': 'imageEdits',
  'audio.speech': 'audioSpeech',
  'audio.transcriptions': 'audioTranscriptions',
} as const satisfies Partial<Record<Endpoint, keyof Provider>>;

export type MediaEndpoint = keyof typeof MEDIA_BUILDERS;

/** What a successful upstream answer consumed, and how the client gets its answer. */
export interface Settlement {
  usage: MediaUsage;
  usageSource: 'upstream' | 'local';
  /** Sends the answer; called after the cost is captured, so a client that sees the answer sees the wallet moved. */
  send?: () => Promise<void>;
  /** For answers streamed inside `settle`: how the stream ended (default ok). */
  outcome?: Pick<RequestOutcome, 'status' | 'httpStatus' | 'errorCode' | 'errorMessage'>;
  ttftMs?: number | null;
}

/** The state of one call, as `settle` sees it. */
export interface CallState {
  readonly id: string;
  readonly model: ModelRecord;
  readonly deployment: Deployment;
  readonly signal: AbortSignal;
  readonly clientGone: boolean;
  elapsed(): number;
}

/** One billed non-chat call: what to hold, how to build the upstream call, how to read its answer. */
export interface BilledCallSpec {
  endpoint: MediaEndpoint;
  modality: Modality;
  /** The public model id the client asked for. */
  model: string;
  stream?: boolean;
  /** Tokens counted against the deployment's and the key's TPM windows. */
  tokenEstimate: number;
  /** The maximum cost in micro-USD, from the model's prices. */
  hold(model: ModelRecord): number;
  build(provider: Provider, deployment: Deployment, secret: string): UpstreamCall;
  settle(res: UpstreamResponse, call: CallState): Promise<Settlement>;
}

/**
 * A billed call to a non-chat endpoint, the same way `pipeline/chat.ts` bills chat: validate the model → key limits →
 * hold (402 when short, nothing called) → route with failover (connect errors, timeouts, 429 and 5xx before the
 * answer move on to the next deployment) → read the answer → capture its actual cost, release the rest, write the
 * usage row. Every exit settles the hold exactly once; failed calls capture nothing.
 */
export async function runBilledCall(ctx: PipelineContext, principal: Principal, req: FastifyRequest, reply: FastifyReply, spec: BilledCallSpec): Promise<void> {
  const method = MEDIA_BUILDERS[spec.endpoint];
  const model = ctx.live.model(spec.model);
  const deployments = ctx.live.deploymentsFor(spec.model).filter((d) => d.enabled && providerFor(d.provider)?.[method]);
  if (!model || model.modality !== spec.modality || deployments.length === 0) {
    const why = model && model.modality !== spec.modality ? `serves ${model.modality}, not ${spec.modality}` : `does not exist or has no enabled ${spec.modality} deployment`;
    throw gatewayError('model_not_found', `The model '${spec.model}' ${why}.`, { param: 'model' });
  }
  // Within a modality, some models serve only part of it (tts-1 speaks, whisper transcribes).
  const path = `/v1/${spec.endpoint.replace('.', '/')}`;
  if (!model.endpoints.includes(path)) {
    throw gatewayError('model_not_found', `The model '${spec.model}' serves ${model.endpoints.join(', ')}, not ${path}.`, { param: 'model' });
  }
  assertModelAllowed(principal, spec.model);
  const admission = admitKey(ctx, principal, spec.tokenEstimate, (name, value) => reply.header(name, value));
  const newRequest: NewRequest = {
    id: req.id,
    accountId: principal.accountId,
    keyId: principal.keyId,
    source: principal.source,
    model: spec.model,
    endpoint: spec.endpoint,
    stream: spec.stream === true,
    holdMicros: spec.hold(model),
    createdAt: Date.now(),
  };
  await holdOrRefuse(ctx, newRequest, admission);

  const run = new MediaRun(ctx, newRequest, model, spec, admission);
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) {
      run.clientGone = true;
      run.abort.abort();
    }
  });
  const work = (async () => {
    let settlement: Settlement;
    try {
      settlement = await run.route(deployments);
    } catch (err) {
      const error = err instanceof GatewayError ? err : gatewayError('internal_error');
      if (!(err instanceof GatewayError)) ctx.log.error({ err, reqId: req.id }, `${spec.endpoint} request failed`);
      await run.finish({ status: run.clientGone ? 'cancelled' : 'error', httpStatus: error.status, errorCode: error.code, errorMessage: error.message });
      throw error;
    }
    await run.finish({ status: 'ok', httpStatus: 200, ...settlement.outcome, usageSource: settlement.usageSource, ttftMs: settlement.ttftMs ?? run.elapsed() }, settlement.usage);
    if (settlement.send) await settlement.send();
  })();
  // A graceful stop waits for calls in flight (uploads and audio streams can take a while).
  ctx.inFlight.add(work);
  try {
    await work;
  } finally {
    ctx.inFlight.delete(work);
  }
}

class MediaRun implements CallState {
  readonly startedAt = performance.now();
  readonly abort = new AbortController();
  clientGone = false;
  attempts = 0;
  current: Deployment | undefined;
  private reservation: ReturnType<PipelineContext['router']['begin']> | undefined;

  readonly id: string;

  constructor(
    readonly ctx: PipelineContext,
    /** The usage row as opened, to build the finished record without reading it back. */
    readonly opened: NewRequest,
    readonly model: ModelRecord,
    readonly spec: BilledCallSpec,
    readonly admission: Admission | undefined,
  ) {
    this.id = opened.id;
  }

  get deployment(): Deployment {
    return this.current!;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  elapsed(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  async route(deployments: readonly Deployment[]): Promise<Settlement> {
    const { ctx, spec } = this;
    const plan = ctx.router.plan(deployments, spec.tokenEstimate, Date.now());
    if (plan.length === 0) throw gatewayError('no_healthy_deployment');
    const answered = await sendWithFailover({
      ctx,
      plan,
      estimate: spec.tokenEstimate,
      signal: this.abort.signal,
      clientGone: () => this.clientGone,
      onAttempt: (deployment) => {
        this.attempts++;
        this.current = deployment;
      },
      build: ({ provider, deployment, secret }) => spec.build(provider, deployment, secret),
    });
    this.reservation = answered.reservation;
    return spec.settle(answered.res, this);
  }

  /** Settles the hold against the cost of `usage` (0 without) and writes the usage row; resolves once committed. */
  async finish(outcome: Omit<RequestOutcome, 'finishedAt' | 'latencyMs' | 'attempts' | 'deploymentId' | 'deploymentName'>, usage?: MediaUsage): Promise<void> {
    const { ctx } = this;
    const cost = usage ? mediaCostMicros(usage, this.model.price) : 0;
    const tokens = (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0);
    if (this.reservation) this.ctx.router.finish(this.reservation, tokens, outcome.ttftMs ?? this.elapsed(), Date.now());
    endAdmission(ctx, this.admission, outcome.errorCode, tokens);
    const full: RequestOutcome = {
      ...outcome,
      promptTokens: usage?.inputTokens ?? 0,
      completionTokens: usage?.outputTokens ?? 0,
      latencyMs: this.elapsed(),
      attempts: this.attempts,
      deploymentId: this.current?.id ?? null,
      deploymentName: this.current?.name ?? null,
      finishedAt: Date.now(),
    };
    const settled = await ctx.store.billing.closeBatched(this.id, full, cost);
    const captured = settled?.capturedMicros ?? 0;
    ctx.events.emit('request', usageRecord(this.opened, full, captured, settled?.shortfallMicros ?? 0));
    ctx.log.info(
      { reqId: this.id, model: this.model.id, endpoint: this.spec.endpoint, deployment: full.deploymentName, status: full.status, http: full.httpStatus, ms: full.latencyMs, cost_micros: captured },
      'media request finished',
    );
  }
}

/** Upstream answers larger than this are refused rather than buffered (generated images are a few MB each). */
const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/** Reads a successful upstream answer whole; transport failures become the catalogue's 502/504 (or 499). */
export async function readUpstreamBody(res: UpstreamResponse, call: CallState): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      total += (chunk as Buffer).length;
      if (total > MAX_ANSWER_BYTES) {
        res.body.destroy();
        throw gatewayError('upstream_error', 'The upstream answer is too large.');
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    if (call.clientGone) throw gatewayError('invalid_request', 'The client closed the connection.', { status: 499 });
    throw classifyTransportError(err) === 'timeout' ? gatewayError('upstream_timeout') : gatewayError('upstream_error', 'The upstream connection failed while sending the answer.');
  }
  return Buffer.concat(chunks, total);
}

/** Reads a successful upstream JSON answer: its text (to forward untouched) and its parsed value. */
export async function readUpstreamJson<T>(res: UpstreamResponse, call: CallState): Promise<{ text: string; json: T }> {
  const text = (await readUpstreamBody(res, call)).toString('utf8');
  try {
    return { text, json: JSON.parse(text) as T };
  } catch {
    throw gatewayError('upstream_error', 'The upstream answered with something the gateway cannot read.');
  }
}

