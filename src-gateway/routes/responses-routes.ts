import type { FastifyInstance, FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';
import { handleChat } from '../pipeline/chat.js';
import type { PipelineContext, Principal } from '../pipeline/context.js';
import { MAX_CHAIN_BYTES, MAX_CHAIN_DEPTH, type ResponsesRepository } from '../db/responses-repository.js';
import { parseResponsesRequest, responsesInbound, toChatRequest, type InputItem, type ResponseFinished, type ResponsesRequest } from '../protocols/responses.js';
import { historyItems, inputItemsPage, storedInputItems, type InputItemsQuery } from '../protocols/responses-store.js';

/**
 * The OpenAI Responses API; registered under both `/v1` and `/api/v1`.
 *
 * `POST /responses`: the body is translated to the IR and runs through the same chat pipeline (hold, routing,
 * failover, capture) as `/chat/completions`; the answer is written back as a Response object or Responses stream
 * events. With `store` (the default) a finished response is kept for its account, so `previous_response_id` can
 * continue it: the stored chain's inputs and outputs are sent before the new `input` (and billed as prompt tokens,
 * as OpenAI does). `GET /responses/{id}`, `DELETE /responses/{id}` and `GET /responses/{id}/input_items` read and
 * delete them. A response of another account, or one sent with `store: false`, does not exist for the caller (404).
 * Errors keep the OpenAI shape, which is what the OpenAI SDK expects from these endpoints too.
 */
export async function responsesRoutes(
  app: FastifyInstance,
  options: { ctx: PipelineContext; authenticate: (req: FastifyRequest) => Principal },
): Promise<void> {
  const { ctx, authenticate } = options;
  const stored = ctx.store.responses;

  app.post('/responses', async (req, reply) => {
    const principal = authenticate(req);
    const request = parseResponsesRequest(req.body);
    const history = request.previous_response_id ? conversationBefore(stored, principal.accountId, request.previous_response_id) : [];
    const chat = toChatRequest(request, history);
    const onFinished = request.store === false ? undefined : keepResponse(ctx, principal.accountId, req.id, request);
    await handleChat(ctx, principal, req, reply, responsesInbound(request, onFinished), chat);
    return reply;
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>('/responses/:id', async (req, reply) => {
    const principal = authenticate(req);
    if (req.query.stream === 'true') {
      throw gatewayError('invalid_request', 'Only background responses can be streamed again; this gateway answers every response in the foreground.', { param: 'stream' });
    }
    const response = stored.response(req.params.id, principal.accountId);
    if (response === undefined) throw notFound(req.params.id);
    return reply.header('content-type', 'application/json; charset=utf-8').send(response);
  });

  app.delete<{ Params: { id: string } }>('/responses/:id', async (req) => {
    const principal = authenticate(req);
    if (!stored.delete(req.params.id, principal.accountId)) throw notFound(req.params.id);
    return { id: req.params.id, object: 'response.deleted', deleted: true };
  });

  app.get<{ Params: { id: string }; Querystring: InputItemsQuery }>('/responses/:id/input_items', async (req) => {
    const principal = authenticate(req);
    const items = stored.inputItems(req.params.id, principal.accountId);
    if (items === undefined) throw notFound(req.params.id);
    return inputItemsPage(JSON.parse(items) as InputItem[], req.query);
  });
}

function notFound(id: string, param: string | null = null) {
  return gatewayError('not_found', `No response with id '${id}' was found.`, { param });
}

/**
 * The stored conversation a `previous_response_id` continues, as history items; 404 unless the account stored it
 * and every earlier response of the conversation: a continuation never silently loses the start of its context.
 */
function conversationBefore(stored: ResponsesRepository, accountId: string, id: string): InputItem[] {
  const head = stored.head(id, accountId);
  if (!head) throw notFound(id, 'previous_response_id');
  if (head.depth >= MAX_CHAIN_DEPTH || head.bytes > MAX_CHAIN_BYTES) {
    throw gatewayError(
      'invalid_request',
      `The conversation of '${id}' is too long to continue (at most ${MAX_CHAIN_DEPTH} responses and ${MAX_CHAIN_BYTES / (1024 * 1024)} MB of items). Start a new one, sending what is still needed in \`input\`.`,
      { param: 'previous_response_id' },
    );
  }
  const turns = stored.chain(id, accountId);
  const gone = turns[0]?.previousResponseId;
  if (gone) {
    throw gatewayError('not_found', `The conversation of '${id}' continues '${gone}', which is no longer stored (deleted or past retention). Start a new one, sending what is still needed in \`input\`.`, {
      param: 'previous_response_id',
    });
  }
  return historyItems(turns);
}

/** Keeps a finished response for its account. A failure to store is logged (never the content) and the answer still goes out. */
function keepResponse(ctx: PipelineContext, accountId: string, reqId: string, request: ResponsesRequest): ResponseFinished {
  return (response) => {
    try {
      const inputItems = JSON.stringify(storedInputItems(request.input));
      ctx.store.responses.insert({
        id: response.id as string,
        accountId,
        model: request.model,
        previousResponseId: request.previous_response_id ?? null,
        response: JSON.stringify(response),
        inputItems,
        bytes: Buffer.byteLength(inputItems) + Buffer.byteLength(JSON.stringify(response.output)),
        createdAt: Date.now(),
      });
    } catch (err) {
      ctx.log.error({ err: err instanceof Error ? err.message : 'unknown', reqId }, 'storing the response failed');
    }
  };
}
