import type { FastifyReply, FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';
import { countTextTokens } from '../domain/token-estimate.js';
import { mediaHoldMicros } from '../domain/media-pricing.js';
import { runBilledCall, readUpstreamJson } from './billed-call.js';
import { optionalEnum, optionalInt, requireBody, requireString, type JsonBody } from './media-request.js';
import type { PipelineContext, Principal } from './context.js';

/** OpenAI's own cap on inputs per embeddings call. */
const MAX_INPUTS = 2048;

export type EmbeddingInput = string | string[] | number[] | number[][];

/** A validated `POST /embeddings` body; unknown fields (`user`, provider extras) pass through. */
export interface EmbeddingsRequest extends JsonBody {
  model: string;
  input: EmbeddingInput;
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
}

/** Validates an embeddings body: a string, an array of strings, an array of token ids, or an array of those. */
export function parseEmbeddingsRequest(raw: unknown): EmbeddingsRequest {
  const body = requireBody(raw);
  const model = requireString(body, 'model');
  const input = body.input;
  const bad = () => gatewayError('invalid_request', "'input' must be a non-empty string, an array of strings, or an array of token arrays.", { param: 'input' });
  if (typeof input === 'string') {
    if (input.length === 0) throw bad();
  } else if (Array.isArray(input)) {
    if (input.length === 0 || input.length > MAX_INPUTS) throw bad();
    const strings = input.every((item) => typeof item === 'string' && item.length > 0);
    const tokens = input.every((item) => Number.isInteger(item) && (item as number) >= 0);
    const tokenLists = input.every((item) => Array.isArray(item) && item.length > 0 && item.every((t) => Number.isInteger(t) && t >= 0));
    if (!strings && !tokens && !tokenLists) throw bad();
  } else {
    throw bad();
  }
  optionalEnum(body, 'encoding_format', ['float', 'base64']);
  optionalInt(body, 'dimensions', 1, 65_536);
  return { ...body, model, input: input as EmbeddingInput };
}

/** Tokens the input will be billed for: counted locally for text, exact for token ids. */
export function estimateEmbeddingTokens(input: EmbeddingInput): number {
  if (typeof input === 'string') return countTextTokens(input);
  let total = 0;
  for (const item of input as unknown[]) {
    if (typeof item === 'string') total += countTextTokens(item);
    else if (Array.isArray(item)) total += item.length;
    else total += 1;
  }
  return total;
}

interface EmbeddingsAnswer {
  data?: unknown;
  usage?: { prompt_tokens?: unknown; total_tokens?: unknown };
}

/**
 * `POST /embeddings`: hold the input-token estimate at the input price, forward the body (`encoding_format` and
 * `dimensions` included: the official SDK asks for base64 by default), capture the upstream's `usage.prompt_tokens`
 * and forward its answer untouched.
 */
export async function handleEmbeddings(ctx: PipelineContext, principal: Principal, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const request = parseEmbeddingsRequest(req.body);
  const estimate = estimateEmbeddingTokens(request.input);
  await runBilledCall(ctx, principal, req, reply, {
    endpoint: 'embeddings',
    modality: 'embedding',
    model: request.model,
    tokenEstimate: estimate,
    hold: (model) => mediaHoldMicros({ inputTokens: estimate }, model.price),
    build: (provider, deployment, secret) => provider.embeddings!({ deployment, secret, body: request }),
    async settle(res, call) {
      const { text, json } = await readUpstreamJson<EmbeddingsAnswer>(res, call);
      if (!Array.isArray(json?.data)) throw gatewayError('upstream_error', 'The upstream answered without embeddings.');
      const reported = json.usage?.prompt_tokens ?? json.usage?.total_tokens;
      const upstream = typeof reported === 'number' && Number.isSafeInteger(reported) && reported >= 0;
      return {
        usage: { inputTokens: upstream ? reported : estimate },
        usageSource: upstream ? 'upstream' : 'local',
        send: async () => {
          await reply.code(200).header('content-type', 'application/json').send(text);
        },
      };
    },
  });
}
