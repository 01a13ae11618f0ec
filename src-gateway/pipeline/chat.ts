import type { FastifyReply, FastifyRequest } from 'fastify';
import { gatewayError, GatewayError, openAiErrorBody } from '../errors.js';
import { parseChatRequest, shapeChatBody, parseOpenAiUsage, completionText, streamedText, chunkText, openAiChatInbound, type ChatRequest } from '../protocols/openai-chat.js';
import type { InboundProtocol, IRChunk, IRResponse, StreamMapper } from '../protocols/ir.js';
import type { Provider } from '../providers/types.js';
import type { SseEvent } from '../streaming/sse-decoder.js';
import { estimateChatPromptTokens, countTextTokens } from '../domain/token-estimate.js';
import { tokenCostMicros, tokenHoldMicros, type TokenUsage } from '../domain/pricing.js';
import type { NewRequest, RequestOutcome } from '../db/requests-repository.js';
import type { Deployment } from '../db/deployments-repository.js';
import type { ModelRecord } from '../db/catalog-repository.js';
import { providerFor } from '../providers/index.js';
import { classifyTransportError, type UpstreamResponse } from '../providers/http.js';
import { sendWithFailover } from './failover.js';
import { SseDecoder } from '../streaming/sse-decoder.js';
import { createSseWriter } from '../streaming/sse-writer.js';
import type { StreamWriterFactory } from '../streaming/stream-writer.js';
import type { PipelineContext, Principal } from './context.js';
import type { Admission } from '../domain/windows.js';
import { admitKey, assertModelAllowed, endAdmission, holdOrRefuse, usageRecord } from './admission.js';
import type { Reservation } from '../domain/routing.js';
import { chatMilestone } from '../tracing.js';

/** Output cap used for the hold when neither the request nor the catalog gives one. */
const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
/** Matches the one stream chunk that carries usage (earlier chunks have `"usage":null`). */
const USAGE_OBJECT = /"usage"\s*:\s*\{/;
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;
/** The `"usage":null` that closes every chunk once usage is asked upstream (OpenAI and Azure put it last). */
const NULL_USAGE_TAIL = /,\s*"usage"\s*:\s*null\s*\}$/;

/** State of one billed call, shared by the non-streamed and streamed paths. */
class ChatCall {
  readonly startedAt = performance.now();
  readonly abort = new AbortController();
  clientGone = false;
  attempts = 0;
  deployment: Deployment | undefined;
  admission: Admission | undefined;
  reservation: Reservation | undefined;

  constructor(
    readonly ctx: PipelineContext,
    readonly id: string,
    readonly request: ChatRequest,
    readonly model: ModelRecord,
    readonly promptEstimate: number,
    readonly inbound: InboundProtocol,
    readonly createStreamWriter: StreamWriterFactory,
  ) {}

  elapsed(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  /** The usage row as opened, to build the finished record without reading it back. */
  opened: NewRequest | undefined;

  /**
   * Settles the hold and writes the usage row; the cost comes from `usage` (0 when none). Failed calls capture nothing
   * (a stream the upstream broke keeps its tokens on the row, at no cost); a call the client cancelled pays for what
   * was generated. Resolves once committed.
   */
  async finish(outcome: Omit<RequestOutcome, 'finishedAt' | 'latencyMs' | 'attempts' | 'deploymentId' | 'deploymentName'>, usage?: TokenUsage): Promise<void> {
    const cost = usage && outcome.status !== 'error' ? tokenCostMicros(usage, this.model.price) : 0;
    const usedTokens = (usage?.promptTokens ?? 0) + (usage?.completionTokens ?? 0);
    if (this.reservation) this.ctx.router.finish(this.reservation, usedTokens, outcome.ttftMs ?? this.elapsed(), Date.now());
    endAdmission(this.ctx, this.admission, outcome.errorCode, usedTokens);
    const full: RequestOutcome = {
      ...outcome,
      promptTokens: usage?.promptTokens ?? 0,
      completionTokens: usage?.completionTokens ?? 0,
      cachedTokens: usage?.cachedTokens ?? 0,
      reasoningTokens: usage?.reasoningTokens ?? 0,
      latencyMs: this.elapsed(),
      attempts: this.attempts,
      deploymentId: this.deployment?.id ?? null,
      deploymentName: this.deployment?.name ?? null,
      finishedAt: Date.now(),
    };
    let settled: Awaited<ReturnType<PipelineContext['store']['billing']['closeBatched']>>;
    try {
      settled = await this.ctx.store.billing.closeBatched(this.id, full, cost);
    } catch (err) {
      this.ctx.log.error({ err, reqId: this.id }, 'billing close failed');
      throw err;
    }
    const captured = settled?.capturedMicros ?? 0;
    if (this.opened) this.ctx.events.emit('request', usageRecord(this.opened, full, captured, settled?.shortfallMicros ?? 0));
    this.ctx.log.info(
      { reqId: this.id, model: this.model.id, deployment: full.deploymentName, status: full.status, http: full.httpStatus, ms: full.latencyMs, cost_micros: captured },
      'chat request finished',
    );
  }

  /** Usage counted locally when the upstream reported none: the prompt estimate and the tokens of the produced text. */
  localUsage(text: string): TokenUsage {
    return { promptTokens: this.promptEstimate, completionTokens: countTextTokens(text), cachedTokens: 0, reasoningTokens: 0, cacheWriteTokens: 0 };
  }
}

/**
 * `POST /chat/completions`: validate → hold → route with failover → forward (JSON or SSE) → capture and release.
 * Every exit path settles the hold exactly once.
 */
export async function handleChatCompletions(ctx: PipelineContext, principal: Principal, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  return handleChat(ctx, principal, req, reply, openAiChatInbound, parseChatRequest(req.body));
}

/**
 * Any chat-shaped call, whatever its inbound protocol: `request` is already the IR (OpenAI chat) request and
 * `inbound` writes the answer in the client's protocol. A streamed answer goes out through `createStreamWriter`
 * (server-sent events unless the route asks for another framing).
 */
export async function handleChat(
  ctx: PipelineContext,
  principal: Principal,
  req: FastifyRequest,
  reply: FastifyReply,
  inbound: InboundProtocol,
  request: ChatRequest,
  createStreamWriter: StreamWriterFactory = createSseWriter,
): Promise<void> {
  chatMilestone(req.id, 'validated');
  const model = ctx.live.model(request.model);
  const deployments = ctx.live.deploymentsFor(request.model).filter((d) => d.enabled && providerFor(d.provider)?.chatCompletions);
  if (!model || model.modality !== 'chat' || deployments.length === 0) {
    const why = model && model.modality !== 'chat' ? `serves ${model.modality}, not chat completions` : 'does not exist or has no enabled deployment';
    throw gatewayError('model_not_found', `The model '${request.model}' ${why}.`, { param: 'model' });
  }
  assertModelAllowed(principal, request.model);

  let promptEstimate: number;
  try {
    promptEstimate = estimateChatPromptTokens(request.messages, request.tools);
  } catch (err) {
    // The estimate serialises tools and tool calls: absurdly nested input overflows the stack, and is the client's fault.
    if (err instanceof RangeError) throw gatewayError('invalid_request', 'The request body is nested too deeply.');
    throw err;
  }
  const maxOutput = request.max_completion_tokens ?? request.max_tokens ?? model.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const admission = admitKey(ctx, principal, promptEstimate + (request.max_completion_tokens ?? request.max_tokens ?? 0), (name, value) => reply.header(name, value));
  const holdMicros = tokenHoldMicros(promptEstimate, maxOutput * (request.n ?? 1), model.price);
  const newRequest: NewRequest = {
    id: req.id,
    accountId: principal.accountId,
    keyId: principal.keyId,
    source: principal.source,
    model: request.model,
    endpoint: inbound.endpoint,
    stream: request.stream === true,
    holdMicros,
    createdAt: Date.now(),
  };
  await holdOrRefuse(ctx, newRequest, admission);
  chatMilestone(req.id, 'held');

  const call = new ChatCall(ctx, req.id, request, model, promptEstimate, inbound, createStreamWriter);
  call.admission = admission;
  call.opened = newRequest;
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) {
      call.clientGone = true;
      call.abort.abort();
    }
  });

  try {
    await route(call, deployments, reply);
  } catch (err) {
    const error = err instanceof GatewayError ? err : gatewayError('internal_error');
    if (!(err instanceof GatewayError)) ctx.log.error({ err, reqId: req.id }, 'chat request failed');
    await call.finish({ status: call.clientGone ? 'cancelled' : 'error', httpStatus: error.status, errorCode: error.code, errorMessage: error.message });
    throw error;
  }
}

async function route(call: ChatCall, deployments: readonly Deployment[], reply: FastifyReply): Promise<void> {
  const { ctx, request } = call;
  const estimate = call.promptEstimate + (request.max_completion_tokens ?? request.max_tokens ?? 0);
  const plan = ctx.router.plan(deployments, estimate, Date.now());
  if (plan.length === 0) throw gatewayError('no_healthy_deployment');
  const { res, provider, reservation } = await sendWithFailover({
    ctx,
    plan,
    estimate,
    signal: call.abort.signal,
    clientGone: () => call.clientGone,
    // A stream's answer is taken at its first bytes, so an upstream that breaks before them is failed over. The wait
    // ends at the first heartbeat: from then on the client is being sent bytes.
    firstBytesWithinMs: request.stream ? ctx.config.heartbeatSeconds * 1000 : undefined,
    onAttempt: (deployment) => {
      call.attempts++;
      call.deployment = deployment;
    },
    build: ({ deployment, provider, secret }) =>
      provider.chatCompletions!({
        deployment,
        secret,
        body: shapeChatBody(request, { model: deployment.model, fastMode: deployment.fastMode, families: ctx.families }),
        maxOutputTokens: call.model.maxOutputTokens,
      }),
  });
  call.reservation = reservation;
  return request.stream ? forwardStream(call, res, reply, provider) : forwardJson(call, res, reply, provider);
}

async function forwardJson(call: ChatCall, res: UpstreamResponse, reply: FastifyReply, provider: Provider): Promise<void> {
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    if (call.clientGone) throw gatewayError('invalid_request', 'The client closed the connection.', { status: 499 });
    throw classifyTransportError(err) === 'timeout' ? gatewayError('upstream_timeout') : gatewayError('upstream_error', 'The upstream connection failed while sending the answer.');
  }
  let ir: IRResponse;
  try {
    const parsed = JSON.parse(text) as unknown;
    ir = provider.chatResponse ? provider.chatResponse(parsed, call.request.model) : (parsed as IRResponse);
  } catch {
    throw gatewayError('upstream_error', 'The upstream answered with something the gateway cannot read.');
  }
  const reported = parseOpenAiUsage(ir.usage);
  const usage = reported ?? call.localUsage(completionText(ir));
  await call.finish({ status: 'ok', httpStatus: 200, ttftMs: call.elapsed(), usageSource: reported ? 'upstream' : 'local' }, usage);
  reply.code(200).header('content-type', 'application/json');
  // An OpenAI client of an OpenAI-format upstream gets the upstream bytes untouched.
  if (call.inbound.passthrough && !provider.chatResponse) await reply.send(text);
  else await reply.send(JSON.stringify(call.inbound.response(ir, { requestId: call.id, model: call.request.model, includeUsage: true })));
}

async function forwardStream(call: ChatCall, res: UpstreamResponse, reply: FastifyReply, provider: Provider): Promise<void> {
  const { ctx, request } = call;
  const includeUsage = request.stream_options?.include_usage === true;
  reply.hijack();
  const writer = call.createStreamWriter(reply.raw, {
    paddingBytes: ctx.config.paddingBytes,
    heartbeatMs: ctx.config.heartbeatSeconds * 1000,
    headers: { 'x-omixa-request-id': call.id },
  });
  writer.open();

  const decoder = new SseDecoder();
  const passthrough = call.inbound.passthrough && !provider.chatStream;
  const mapper = provider.chatStream?.(request.model) ?? openAiChunkMapper();
  const out = call.inbound.stream({ requestId: call.id, model: request.model, includeUsage, promptTokens: call.promptEstimate });
  const produced: string[] = [];
  let producedText = '';
  let usage: TokenUsage | undefined;
  let ttftMs: number | null = null;
  let firstRead = true;
  let done = false;
  let upstreamFailure: unknown;

  // Raw passthrough (OpenAI client, OpenAI-format upstream): forward each event's bytes, parse only the usage chunk.
  const passEvent = (text: string, data: string | null): void => {
    if (data === null) return; // upstream comments: we send our own heartbeats
    if (data === '[DONE]') {
      done = true;
      writer.writeEvent(text);
      return;
    }
    ttftMs ??= call.elapsed();
    if (USAGE_OBJECT.test(data)) {
      try {
        const found = parseOpenAiUsage((JSON.parse(data) as { usage?: unknown }).usage);
        if (found) usage = found;
      } catch {
        // not JSON: forwarded as is below
      }
      if (!includeUsage && EMPTY_CHOICES.test(data)) return;
    }
    if (!usage) produced.push(data);
    // The gateway asked for usage, not the client: its chunks come without the field the request added.
    if (!includeUsage && data.endsWith('null}') && NULL_USAGE_TAIL.test(data)) {
      writer.writeData(data.replace(NULL_USAGE_TAIL, '}'));
      return;
    }
    writer.writeEvent(text);
  };

  // Translated: upstream events → IR chunks → the inbound protocol's events.
  const writeChunks = (chunks: IRChunk[]): void => {
    for (const chunk of chunks) {
      if (chunk.usage) usage = parseOpenAiUsage(chunk.usage) ?? usage;
      const text = chunkText(chunk);
      if (text) {
        ttftMs ??= call.elapsed();
        producedText += text;
      }
      for (const event of out.chunk(chunk)) writer.writeEvent(event);
    }
  };
  const translateEvent = (event: SseEvent): void => writeChunks(mapper.map(event));

  // Read with 'data' events rather than an async iterator: each upstream read is forwarded in the turn it arrives,
  // without the iterator's promise per chunk (the first event's latency is what a streaming client waits for).
  const body = res.body;
  const finished = new Promise<void>((resolve) => {
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      if (err !== undefined && !call.clientGone) upstreamFailure = err;
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      try {
        writer.batch(() => {
          for (const event of decoder.push(chunk)) {
            if (passthrough) passEvent(event.text, event.data);
            else translateEvent(event);
          }
        });
      } catch (err) {
        return settle(err);
      }
      if (firstRead) {
        firstRead = false;
        chatMilestone(call.id, 'streaming');
      }
      if (writer.closed) return settle();
      if (writer.wantsDrain && !body.isPaused()) {
        body.pause();
        void writer.drain().then(() => body.resume());
      }
    };
    body.on('data', onData);
    body.once('end', () => {
      try {
        for (const event of decoder.end()) {
          if (passthrough) passEvent(event.text, event.data);
          else translateEvent(event);
        }
        if (!passthrough) {
          writeChunks(mapper.end());
          done = mapper.complete;
        }
        settle();
      } catch (err) {
        settle(err);
      }
    });
    body.once('error', (err) => settle(err));
    // Destroyed without an error or an end: the stream is incomplete unless its last event came.
    body.once('close', () => settle());
  });
  ctx.inFlight.add(finished);
  try {
    await finished;
  } finally {
    ctx.inFlight.delete(finished);
  }

  const billed = usage ?? call.localUsage(passthrough ? streamedText(produced) : producedText);
  const usageSource = usage ? 'upstream' : 'local';
  if (call.clientGone || (writer.closed && !done)) {
    res.body.destroy();
    await call.finish({ status: 'cancelled', httpStatus: 499, ttftMs, usageSource, errorCode: 'client_closed', errorMessage: 'The client closed the connection.' }, billed);
  } else if (!done || upstreamFailure) {
    const error = gatewayError('upstream_error', 'The upstream stream ended before it was complete.');
    if (passthrough) writer.writeData(JSON.stringify(openAiErrorBody(error)));
    else for (const event of out.error(error.message, error.code)) writer.writeEvent(event);
    await call.finish({ status: 'error', httpStatus: 200, ttftMs, usageSource, errorCode: error.code, errorMessage: error.message }, billed);
  } else {
    if (!passthrough) for (const event of out.done()) writer.writeEvent(event);
    await call.finish({ status: 'ok', httpStatus: 200, ttftMs, usageSource }, billed);
  }
  writer.end();
}

/** OpenAI-format upstream chunks as IR chunks, for non-OpenAI clients of OpenAI-format upstreams. */
function openAiChunkMapper(): StreamMapper {
  let complete = false;
  return {
    get complete() {
      return complete;
    },
    map(event) {
      if (event.data === null) return [];
      if (event.data === '[DONE]') {
        complete = true;
        return [];
      }
      try {
        const chunk = JSON.parse(event.data) as IRChunk & { error?: unknown };
        return chunk.error || !Array.isArray(chunk.choices) ? [] : [chunk];
      } catch {
        return [];
      }
    },
    end: () => [],
  };
}
