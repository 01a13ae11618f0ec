import type { FastifyInstance, FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';
import { assertModelAllowed } from '../pipeline/admission.js';
import { handleChat } from '../pipeline/chat.js';
import type { PipelineContext, Principal } from '../pipeline/context.js';
import { anthropicInbound, parseMessagesRequest, toIRRequest } from '../protocols/anthropic-messages.js';
import { estimateChatPromptTokens } from '../domain/token-estimate.js';

/**
 * The Anthropic Messages surface (`POST /messages`, `POST /messages/count_tokens`); registered under both `/v1` and
 * `/api/v1`. The key comes as `x-api-key` (what `@anthropic-ai/sdk` sends with `apiKey`) or `Authorization: Bearer`
 * (its `authToken`); errors answer in Anthropic's shape so the SDK raises its own typed errors.
 */
export async function anthropicRoutes(
  app: FastifyInstance,
  options: { ctx: PipelineContext; authenticate: (req: FastifyRequest) => Principal },
): Promise<void> {
  const { ctx, authenticate } = options;

  app.post('/messages', { config: { protocol: 'anthropic' } }, async (req, reply) => {
    const principal = authenticate(req);
    const irRequest = translated(() => toIRRequest(parseMessagesRequest(req.body)));
    await handleChat(ctx, principal, req, reply, anthropicInbound, irRequest);
    return reply;
  });

  // A local estimate with the gateway's tokenizer: free, no upstream call, close enough to budget a prompt.
  app.post('/messages/count_tokens', { config: { protocol: 'anthropic' } }, async (req) => {
    const principal = authenticate(req);
    const request = translated(() => toIRRequest(parseMessagesRequest(req.body, { maxTokensOptional: true })));
    const model = ctx.live.model(request.model);
    if (!model || model.modality !== 'chat' || !ctx.live.deploymentsFor(request.model).some((d) => d.enabled)) {
      throw gatewayError('model_not_found', `The model '${request.model}' does not exist or has no enabled deployment.`, { param: 'model' });
    }
    assertModelAllowed(principal, request.model);
    return { input_tokens: translated(() => estimateChatPromptTokens(request.messages, request.tools)) };
  });
}

/** Runs a translation step; absurdly nested input (tool inputs, schemas) overflows JSON.stringify's stack: a 400, not a 500. */
function translated<T>(step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof RangeError) throw gatewayError('invalid_request', 'The request body is nested too deeply.');
    throw err;
  }
}
