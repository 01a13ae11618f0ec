/**
 * A fake Azure OpenAI upstream: a real HTTP server on 127.0.0.1 that speaks the public
 * chat-completions wire format (dated `/openai/deployments/{d}/chat/completions?api-version=`
 * and the v1 `/openai/v1/chat/completions` surface). Integration tests and benchmarks put it
 * behind the gateway so streaming, usage accounting, errors and disconnects are exercised
 * over real sockets with real timers rather than mocked fetches.
 *
 * Shapes follow Azure's observed responses: `prompt_filter_results` / `content_filter_results`
 * annotations, a first stream frame with empty `choices`, `{"error":{"code","message"}}` bodies
 * (401 "Access denied…", 404 "Resource not found" / `DeploymentNotFound`, 429 "…retry after N
 * seconds"), and `Retry-After` + `retry-after-ms` headers on throttling.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleMediaRequest, matchMediaRoute, type MediaFakeReply } from './azure-openai-media.js';
import type { FormPart } from './media-bytes.js';
import { readText } from './http-body.js';
import { closeServer, listenOnLoopback } from './loopback.js';

/** Behaviour knobs; every field may be changed between requests with `setOptions`. */
export interface AzureFakeOptions {
  /** Secret expected in `api-key` (or `Authorization: Bearer` on v1). Default `'azure-secret-1'`. */
  apiKey?: string;
  /** Known deployment names; anything else gets 404 `DeploymentNotFound`. Default `['gpt-4o-mini']`. */
  deployments?: string[];
  /** Delay between streamed SSE events (real timer). Default 20. */
  chunkDelayMs?: number;
  /** Delay before any response headers are sent (applies to every response). Default 0. */
  firstByteDelayMs?: number;
  /** Per-request override; return `undefined` for the default echo reply. */
  reply?: (req: RecordedRequest) => FakeReply | undefined;
}

/** What the fake should answer for one request. Unset fields fall back to the defaults (media knobs: azure-openai-media.ts). */
export interface FakeReply extends MediaFakeReply {
  /** Assistant text. Default `"Echo: <last user message text>"`. Streamed as one event per word (leading space kept). */
  content?: string;
  /** Tool calls; when present `finish_reason` is `tool_calls`. `id` defaults to a random `call_…`. */
  toolCalls?: { id?: string; name: string; arguments: string }[];
  /**
   * Exact usage to report (`total_tokens` = prompt + completion; details default to 0).
   * Default: prompt_tokens = ceil(total message text chars / 4) + 7,
   * completion_tokens = max(1, ceil((content chars + tool-argument chars) / 4)).
   */
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number; reasoning_tokens?: number };
  /** Answer with this HTTP status (>= 400) and an Azure-shaped error body. */
  status?: number;
  /** Replaces the default error JSON for `status`. */
  errorBody?: unknown;
  /** Adds `Retry-After` (and Azure's `retry-after-ms`) to the error response. */
  retryAfterSeconds?: number;
  /** Streaming: write N SSE events then go silent with the socket open. Non-streaming: never respond. */
  stallAfterEvents?: number;
  /** Streaming: write N SSE events, then destroy the socket when event N+1 is due. Non-streaming: destroy before responding. */
  failAfterEvents?: number;
  /** Streaming: wait this long between the response headers and the first event (a model thinking before its first token). */
  firstEventDelayMs?: number;
}

/** One request as the fake saw it. Header names are lower-case. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or the raw string when it was not valid JSON. */
  body: any;
  /** From the URL on the dated route, from `body.model` on v1; `''` if absent. */
  deployment: string;
  /** `Date.now()` once the body had been read. */
  receivedAt: number;
  /** Multipart uploads (media endpoints): the file parts; text fields are in `body`. */
  files?: FormPart[];
}

/** Handle to a running fake. */
export interface AzureFake {
  /** Base URL, e.g. `http://127.0.0.1:54321` (use as the Azure `endpoint`). */
  url: string;
  port: number;
  /** Every request received, in arrival order (including rejected ones). */
  requests: RecordedRequest[];
  /** Count of streaming requests whose client disconnected before the fake finished. */
  aborted: number;
  /** Shallow-merges into the current options; affects requests that arrive afterwards. */
  setOptions(p: Partial<AzureFakeOptions>): void;
  /** Stops listening and destroys open connections (including stalled streams). */
  close(): Promise<void>;
}

type Usage = NonNullable<FakeReply['usage']>;
type Route = { kind: 'dated'; deployment: string } | { kind: 'v1' };

/** Azure reports the versioned model behind a deployment, not the deployment name. */
const MODEL_VERSIONS: Record<string, string> = {
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4o': 'gpt-4o-2024-11-20',
};
const FINGERPRINT = 'fp_ee1d74bde0';
const SAFE = { filtered: false, severity: 'safe' };
const HARM_CATEGORIES = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER_RESULTS = [
  { prompt_index: 0, content_filter_results: { ...HARM_CATEGORIES, jailbreak: { filtered: false, detected: false } } },
];
const COMPLETION_FILTER_RESULTS = {
  ...HARM_CATEGORIES,
  protected_material_code: { filtered: false, detected: false },
  protected_material_text: { filtered: false, detected: false },
};

const azureError = (code: string, message: string) => ({ error: { code, message } });
const RESOURCE_NOT_FOUND = azureError('404', 'Resource not found');
const ACCESS_DENIED = azureError(
  '401',
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
);
const DEPLOYMENT_NOT_FOUND = azureError(
  'DeploymentNotFound',
  'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
);

/** Default error body per status, worded like the messages Azure returns. */
function defaultErrorBody(status: number, apiVersion: string | undefined, retryAfter: number | undefined) {
  if (status === 429) {
    const version = apiVersion ?? 'v1';
    const secs = retryAfter ?? 1;
    return azureError(
      '429',
      `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${version} have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after ${secs} second${secs === 1 ? '' : 's'}. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
    );
  }
  if (status === 401) return ACCESS_DENIED;
  if (status === 404) return RESOURCE_NOT_FOUND;
  if (status === 400) return { error: { code: 'BadRequest', message: 'Invalid request.', param: null, type: 'invalid_request_error' } };
  if (status === 503) return azureError('ServiceUnavailable', 'The service is temporarily unable to process your request. Please try again later.');
  if (status >= 500) return azureError('InternalServerError', 'The server had an error while processing your request. Sorry about that!');
  return azureError(String(status), 'Request failed.');
}

const randomId = (prefix: string, len: number) =>
  prefix + randomBytes(len).toString('base64url').replace(/[-_]/g, 'x').slice(0, len);

/** Text of a message `content`, which may be a string or an array of typed parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('');
}

/** Default usage; documented on `FakeReply.usage` so tests can predict it without overriding. */
function defaultUsage(body: any, content: string, toolCalls: FakeReply['toolCalls']): Usage {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const promptChars = messages.reduce((n, m) => n + textOf(m?.content).length, 0);
  const outChars = content.length + (toolCalls ?? []).reduce((n, t) => n + t.arguments.length, 0);
  return { prompt_tokens: Math.ceil(promptChars / 4) + 7, completion_tokens: Math.max(1, Math.ceil(outChars / 4)) };
}

function usageObject(u: Usage) {
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning_tokens ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Word-ish pieces with the leading space attached, like real token deltas ("Echo:", " hello"). */
const splitContent = (s: string): string[] => s.match(/\s*\S+|\s+$/g) ?? [];

/** Arguments arrive in roughly three fragments so clients must concatenate them. */
function splitArgs(s: string): string[] {
  const size = Math.max(1, Math.ceil(s.length / 3));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function matchRoute(method: string, pathname: string): Route | null {
  if (method !== 'POST') return null;
  if (pathname === '/openai/v1/chat/completions') return { kind: 'v1' };
  const m = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(pathname);
  return m ? { kind: 'dated', deployment: decodeURIComponent(m[1]) } : null;
}

function isAuthorized(req: IncomingMessage, route: Route, apiKey: string): boolean {
  if (req.headers['api-key'] === apiKey) return true;
  // Only the v1 surface accepts the key as a bearer token; dated routes want `api-key`.
  return route.kind === 'v1' && req.headers.authorization === `Bearer ${apiKey}`;
}


/** Sleeps unless the request is aborted first; returns false if it was. */
async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function baseHeaders(): Record<string, string> {
  const id = randomUUID();
  return { 'apim-request-id': id, 'x-request-id': id, 'x-ms-region': 'East US' };
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...baseHeaders(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

/** All SSE payloads for one streamed reply, in order, ending with `[DONE]`. */
function streamEvents(
  head: { id: string; created: number; model: string },
  content: string,
  toolCalls: { id: string; name: string; arguments: string }[],
  usage: Usage,
  includeUsage: boolean,
): string[] {
  // With include_usage every chunk but the last carries `usage: null`, as OpenAI documents.
  const extra = includeUsage ? { usage: null } : {};
  const chunk = (delta: object, finish: string | null = null, filters: object = COMPLETION_FILTER_RESULTS) => ({
    choices: [{ content_filter_results: filters, delta, finish_reason: finish, index: 0, logprobs: null }],
    created: head.created, id: head.id, model: head.model, object: 'chat.completion.chunk',
    system_fingerprint: FINGERPRINT, ...extra,
  });
  // Azure's first frame is an annotation-only frame: empty choices and blank id/model.
  const events: object[] = [{ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER_RESULTS, ...extra }];
  events.push(chunk({ content: '', refusal: null, role: 'assistant' }, null, {}));
  for (const piece of splitContent(content)) events.push(chunk({ content: piece }));
  toolCalls.forEach((t, index) => {
    events.push(chunk({ tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.name, arguments: '' } }] }, null, {}));
    for (const a of splitArgs(t.arguments)) events.push(chunk({ tool_calls: [{ index, function: { arguments: a } }] }, null, {}));
  });
  events.push(chunk({}, toolCalls.length ? 'tool_calls' : 'stop', {}));
  if (includeUsage) {
    events.push({ choices: [], created: head.created, id: head.id, model: head.model, object: 'chat.completion.chunk', system_fingerprint: FINGERPRINT, usage: usageObject(usage) });
  }
  return [...events.map((e) => JSON.stringify(e)), '[DONE]'];
}

type ResolvedOptions = Required<Omit<AzureFakeOptions, 'reply'>> & Pick<AzureFakeOptions, 'reply'>;

/** Merges a patch; an explicit `undefined` resets that field to its default (or clears `reply`). */
function withDefaults(current: Partial<ResolvedOptions>, patch: Partial<AzureFakeOptions>): ResolvedOptions {
  const merged = { ...current, ...patch };
  return {
    apiKey: merged.apiKey ?? 'azure-secret-1',
    deployments: merged.deployments ?? ['gpt-4o-mini'],
    chunkDelayMs: merged.chunkDelayMs ?? 20,
    firstByteDelayMs: merged.firstByteDelayMs ?? 0,
    reply: merged.reply,
  };
}

/** Starts the fake on a random 127.0.0.1 port. */
export async function startAzureFake(opts: AzureFakeOptions = {}): Promise<AzureFake> {
  let options = withDefaults({}, opts);
  let closing = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    const signal = controller.signal;
    let isStream = false;
    let selfDestroyed = false;
    const destroy = () => {
      selfDestroyed = true; // a deliberate failure, not a client abort
      res.destroy();
    };
    // 'close' before the response ended means the peer went away (or we destroyed it on purpose).
    res.on('close', () => {
      controller.abort();
      if (!res.writableEnded && isStream && !selfDestroyed && !closing) fake.aborted++;
    });

    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Embeddings, images and audio (binary and multipart bodies) live in azure-openai-media.ts.
    const media = matchMediaRoute(req.method ?? '', url.pathname);
    const authorized = media?.kind === 'blob' || (media !== null && isAuthorized(req, media, options.apiKey));
    if (media) return handleMediaRequest(req, res, media, { options, signal, requests: fake.requests, authorized, sendJson, errorBody: (s) => defaultErrorBody(s, undefined, undefined), markStream: () => void (isStream = true) });
    const raw = await readText(req);
    let body: any = raw;
    let parsed = false;
    try {
      body = JSON.parse(raw);
      parsed = body !== null && typeof body === 'object' && !Array.isArray(body);
    } catch { /* keep raw string for the recording */ }
    const route = matchRoute(req.method ?? '', url.pathname);
    const deployment = route?.kind === 'dated' ? route.deployment : parsed && typeof body.model === 'string' ? body.model : '';
    const recorded: RecordedRequest = {
      method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers }, body, deployment, receivedAt: Date.now(),
    };
    fake.requests.push(recorded);
    isStream = parsed && body.stream === true;
    const o = options; // snapshot so setOptions mid-request does not change this reply

    if (!(await wait(o.firstByteDelayMs, signal))) return;
    if (!route) return sendJson(res, 404, RESOURCE_NOT_FOUND);
    if (!isAuthorized(req, route, o.apiKey)) return sendJson(res, 401, ACCESS_DENIED);
    const apiVersion = recorded.query['api-version'];
    if (route.kind === 'dated' && !apiVersion) return sendJson(res, 404, RESOURCE_NOT_FOUND);
    if (!parsed) {
      return sendJson(res, 400, { error: { code: 'BadRequest', message: 'We could not parse the JSON body of your request. The API expects a JSON payload.', param: null, type: 'invalid_request_error' } });
    }
    if (!o.deployments.includes(deployment)) return sendJson(res, 404, DEPLOYMENT_NOT_FOUND);

    const r = o.reply?.(recorded) ?? {};
    if (r.status !== undefined && r.status >= 400) {
      const extra: Record<string, string> = {};
      if (r.retryAfterSeconds !== undefined) {
        extra['retry-after'] = String(r.retryAfterSeconds);
        extra['retry-after-ms'] = String(r.retryAfterSeconds * 1000);
      }
      return sendJson(res, r.status, r.errorBody ?? defaultErrorBody(r.status, apiVersion, r.retryAfterSeconds), extra);
    }

    const lastUser = [...(Array.isArray(body.messages) ? body.messages : [])].reverse().find((m: any) => m?.role === 'user');
    const content = r.content ?? `Echo: ${textOf(lastUser?.content)}`;
    const toolCalls = (r.toolCalls ?? []).map((t) => ({ ...t, id: t.id ?? randomId('call_', 24) }));
    const usage = r.usage ?? defaultUsage(body, content, r.toolCalls);
    const head = { id: randomId('chatcmpl-', 29), created: Math.floor(Date.now() / 1000), model: MODEL_VERSIONS[deployment] ?? deployment };

    if (!isStream) {
      if (r.failAfterEvents !== undefined) return destroy();
      if (r.stallAfterEvents !== undefined) return; // hang with no headers until the client gives up
      const message: Record<string, unknown> = { annotations: [], content: toolCalls.length && !content ? null : content, refusal: null, role: 'assistant' };
      if (toolCalls.length) {
        message.tool_calls = toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
      }
      return sendJson(res, 200, {
        choices: [{ content_filter_results: toolCalls.length ? {} : COMPLETION_FILTER_RESULTS, finish_reason: toolCalls.length ? 'tool_calls' : 'stop', index: 0, logprobs: null, message }],
        created: head.created, id: head.id, model: head.model, object: 'chat.completion',
        prompt_filter_results: PROMPT_FILTER_RESULTS, system_fingerprint: FINGERPRINT, usage: usageObject(usage),
      });
    }

    const events = streamEvents(head, content, toolCalls, usage, body.stream_options?.include_usage === true);
    res.writeHead(200, { ...baseHeaders(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.flushHeaders(); // so clients measuring time-to-first-byte see headers now
    for (let i = 0; i < events.length; i++) {
      if (r.stallAfterEvents !== undefined && i >= r.stallAfterEvents) return; // 'close' will count the abort
      if (i > 0 && !(await wait(o.chunkDelayMs, signal))) return;
      if (i === 0 && r.firstEventDelayMs !== undefined && !(await wait(r.firstEventDelayMs, signal))) return;
      // Fail where the next event was due: destroying right after a write races the client, whose
      // fetch body stream drops already-received-but-unread chunks when it errors.
      if (r.failAfterEvents !== undefined && i >= r.failAfterEvents) return destroy();
      if (signal.aborted) return;
      res.write(`data: ${events[i]}\n\n`);
    }
    res.end();
  }

  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch(() => {
      // A bug or a torn request body: fail loudly to the client rather than hanging it.
      if (!res.headersSent) sendJson(res, 500, defaultErrorBody(500, undefined, undefined));
      else res.destroy();
    });
  });
  const url = await listenOnLoopback(server);

  const fake: AzureFake = {
    url,
    port: Number(new URL(url).port),
    requests: [],
    aborted: 0,
    setOptions(p) {
      options = withDefaults(options, p);
    },
    close() {
      closing = true;
      return closeServer(server);
    },
  };
  return fake;
}
