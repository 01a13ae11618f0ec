import type { FastifyInstance, FastifyRequest } from 'fastify';
import { handleChat } from '../pipeline/chat.js';
import type { PipelineContext, Principal } from '../pipeline/context.js';
import { parseResponsesRequest, responsesInbound, toChatRequest } from '../protocols/responses.js';

/**
 * `POST /responses`, the OpenAI Responses API; registered under both `/v1` and `/api/v1`. The body is translated to
 * the IR and runs through the same chat pipeline (hold, routing, failover, capture) as `/chat/completions`; the
 * answer is written back as a Response object or Responses stream events. Errors keep the OpenAI shape, which is
 * what the OpenAI SDK expects from this endpoint too.
 */
export async function responsesRoutes(
  app: FastifyInstance,
  options: { ctx: PipelineContext; authenticate: (req: FastifyRequest) => Principal },
): Promise<void> {
  const { ctx, authenticate } = options;

  app.post('/responses', async (req, reply) => {
    const principal = authenticate(req);
    const request = parseResponsesRequest(req.body);
    await handleChat(ctx, principal, req, reply, responsesInbound(request), toChatRequest(request));
    return reply;
  });
}
