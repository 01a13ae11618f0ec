import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ModelRecord } from '../db/catalog-repository.js';
import { gatewayError } from '../errors.js';
import { handleChat } from '../pipeline/chat.js';
import type { PipelineContext, Principal } from '../pipeline/context.js';
import { geminiInbound, geminiToChatRequest } from '../protocols/gemini.js';
import { createJsonArrayWriter } from '../streaming/json-array-writer.js';
import { createSseWriter } from '../streaming/sse-writer.js';
import type { StreamWriterFactory } from '../streaming/stream-writer.js';

/** Splits Google's `{model}:{method}` path segment at its last colon (model ids have none, methods never do). */
export function splitModelAction(segment: string): { model: string; action: string } {
  const colon = segment.lastIndexOf(':');
  if (colon <= 0) return { model: segment, action: '' };
  return { model: segment.slice(0, colon), action: segment.slice(colon + 1) };
}

/**
 * How `streamGenerateContent` answers, by Google's `alt` parameter: `sse` gives server-sent events (what every Google
 * SDK asks for); none or `json` gives one JSON array of the same GenerateContentResponse objects, streamed element by
 * element (curl and plain REST clients).
 */
function streamFraming(alt: string | undefined): StreamWriterFactory {
  if (alt === 'sse') return createSseWriter;
  if (alt === undefined || alt === 'json') return createJsonArrayWriter;
  throw gatewayError('invalid_request', `alt='${alt}' is not served here; use 'sse' or 'json'.`, { param: 'alt' });
}

/** A chat model as Google's `Model` resource, so `models.list()` / `models.get()` of the Google SDKs work. */
function googleModel(model: ModelRecord) {
  return {
    name: `models/${model.id}`,
    version: '001',
    displayName: model.id,
    ...(model.contextWindow ? { inputTokenLimit: model.contextWindow } : {}),
    ...(model.maxOutputTokens ? { outputTokenLimit: model.maxOutputTokens } : {}),
    supportedGenerationMethods: ['generateContent', 'streamGenerateContent'],
  };
}

/**
 * The Gemini surface under `/v1beta` (no `/v1` prefix: that is where Google's SDKs look). Keys come as
 * `x-goog-api-key`, `?key=` or Bearer; errors answer in Google's shape so `@google/genai` raises its `ApiError`.
 */
export async function geminiRoutes(app: FastifyInstance, options: { ctx: PipelineContext; authenticate: (req: FastifyRequest) => Principal }): Promise<void> {
  const { ctx, authenticate } = options;
  const protocol = { config: { protocol: 'google' as const } };

  /** Chat models this key may use that have an enabled deployment. */
  const servedModels = (principal: Principal): ModelRecord[] => {
    const served = new Set(ctx.live.allDeployments().filter((d) => d.enabled).map((d) => d.model));
    return ctx.live.allModels().filter((m) => m.modality === 'chat' && served.has(m.id) && (!principal.allowedModels || principal.allowedModels.includes(m.id)));
  };

  app.get('/v1beta/models', protocol, async (req) => ({ models: servedModels(authenticate(req)).map(googleModel) }));

  app.get<{ Params: { model: string } }>('/v1beta/models/:model', protocol, async (req) => {
    const found = servedModels(authenticate(req)).find((m) => m.id === req.params.model);
    if (!found) throw gatewayError('model_not_found', `models/${req.params.model} is not found.`, { param: 'model' });
    return googleModel(found);
  });

  app.post<{ Params: { modelAction: string }; Querystring: { alt?: string } }>(
    '/v1beta/models/:modelAction',
    protocol,
    async (req, reply) => {
      const principal = authenticate(req);
      const { model, action } = splitModelAction(req.params.modelAction);
      if (action !== 'generateContent' && action !== 'streamGenerateContent') {
        throw gatewayError('not_found', `Method '${action || '(none)'}' is not served here; use generateContent or streamGenerateContent.`);
      }
      const stream = action === 'streamGenerateContent';
      const framing = stream ? streamFraming(req.query.alt) : undefined;
      await handleChat(ctx, principal, req, reply, geminiInbound, geminiToChatRequest(req.body, model, stream), framing);
      return reply;
    },
  );
}
