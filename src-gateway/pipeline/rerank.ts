import type { FastifyReply, FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';
import { countTextTokens } from '../domain/token-estimate.js';
import { mediaHoldMicros } from '../domain/media-pricing.js';
import { runBilledCall, readUpstreamJson } from './billed-call.js';
import { optionalInt, requireBody, requireString, type JsonBody } from './media-request.js';
import type { PipelineContext, Principal } from './context.js';

const MAX_DOCUMENTS = 10_000;

/** A validated `POST /rerank` body (Cohere/Jina shape); extras such as `return_documents` pass through. */
export interface RerankRequest extends JsonBody {
  model: string;
  query: string;
  documents: (string | { text: string })[];
  top_n?: number;
}

export function parseRerankRequest(raw: unknown): RerankRequest {
  const body = requireBody(raw);
  const model = requireString(body, 'model');
  const query = requireString(body, 'query');
  const documents = body.documents;
  const valid =
    Array.isArray(documents) &&
    documents.length > 0 &&
    documents.length <= MAX_DOCUMENTS &&
    documents.every((d) => typeof d === 'string' || (!!d && typeof d === 'object' && typeof (d as { text?: unknown }).text === 'string'));
  if (!valid) throw gatewayError('invalid_request', `'documents' must be a non-empty array (at most ${MAX_DOCUMENTS}) of strings or {text} objects.`, { param: 'documents' });
  optionalInt(body, 'top_n', 1, MAX_DOCUMENTS);
  return { ...body, model, query, documents: documents as RerankRequest['documents'] };
}

/** Rerankers score the query against each document: the query counts once per document. */
export function estimateRerankTokens(request: RerankRequest): number {
  const queryTokens = countTextTokens(request.query);
  return request.documents.reduce<number>((sum, d) => sum + queryTokens + countTextTokens(typeof d === 'string' ? d : d.text), 0);
}

interface RerankResult {
  index: number;
  relevance_score: number;
  document?: unknown;
}

interface RerankAnswer {
  id?: unknown;
  model?: unknown;
  results?: unknown;
  usage?: { total_tokens?: unknown; prompt_tokens?: unknown };
  meta?: { billed_units?: { search_units?: unknown; input_tokens?: unknown }; tokens?: { input_tokens?: unknown } };
}

const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined);

/** The results of a Cohere/Jina/vLLM answer (`results`), or of a TEI one (a bare array with `score`). */
function resultsOf(json: unknown): RerankResult[] | undefined {
  const raw = Array.isArray(json) ? json : (json as RerankAnswer | null)?.results;
  if (!Array.isArray(raw)) return undefined;
  const out: RerankResult[] = [];
  for (const item of raw as Record<string, unknown>[]) {
    const score = item?.relevance_score ?? item?.score;
    if (typeof item?.index !== 'number' || typeof score !== 'number') return undefined;
    out.push({ index: item.index, relevance_score: score, ...(item.document !== undefined ? { document: item.document } : item.text !== undefined ? { document: { text: item.text } } : {}) });
  }
  return out;
}

/**
 * `POST /rerank` on OpenAI-compatible deployments: one search per call (or the upstream's `search_units`) at
 * `per_1k_searches`, plus tokens at the input price when the model is priced per token; answered as
 * `{id, model, results:[{index, relevance_score}], usage}`.
 */
export async function handleRerank(ctx: PipelineContext, principal: Principal, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const request = parseRerankRequest(req.body);
  const estimate = estimateRerankTokens(request);
  await runBilledCall(ctx, principal, req, reply, {
    endpoint: 'rerank',
    modality: 'rerank',
    model: request.model,
    tokenEstimate: estimate,
    hold: (model) => mediaHoldMicros({ searches: 1, inputTokens: estimate }, model.price),
    build: (provider, deployment, secret) => provider.rerank!({ deployment, secret, body: request }),
    async settle(res, call) {
      const { json } = await readUpstreamJson<RerankAnswer>(res, call);
      const results = resultsOf(json);
      if (!results) throw gatewayError('upstream_error', 'The upstream answered without rerank results.');
      const answer = Array.isArray(json) ? {} : json;
      const reportedTokens = count(answer.usage?.total_tokens) ?? count(answer.usage?.prompt_tokens) ?? count(answer.meta?.billed_units?.input_tokens) ?? count(answer.meta?.tokens?.input_tokens);
      const searches = count(answer.meta?.billed_units?.search_units) ?? 1;
      const tokens = reportedTokens ?? estimate;
      const body = {
        id: typeof answer.id === 'string' ? answer.id : call.id,
        object: 'list',
        model: request.model,
        results: results.sort((a, b) => b.relevance_score - a.relevance_score).slice(0, request.top_n ?? results.length),
        usage: { total_tokens: tokens, search_units: searches },
      };
      return {
        usage: { inputTokens: tokens, searches },
        usageSource: reportedTokens === undefined ? 'local' : 'upstream',
        send: async () => {
          await reply.code(200).header('content-type', 'application/json').send(JSON.stringify(body));
        },
      };
    },
  });
}
