/**
 * A fake Google Gemini upstream: a real HTTP server on 127.0.0.1 that speaks the public wire formats of both
 * Google surfaces that serve Gemini models, so the gateway's Gemini and Vertex providers are exercised over real
 * sockets with real timers:
 *
 * - the Gemini API (`POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`, key in
 *   `x-goog-api-key` or `?key=`);
 * - Vertex AI (`POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent` / `:streamGenerateContent`,
 *   `Authorization: Bearer <access token>`), with an OAuth token endpoint (`POST /token`, JWT-bearer grant) that checks
 *   the assertion's RS256 signature against the service accounts the test registered and counts token mints.
 *
 * Answers are GenerateContentResponse objects (candidates[].content.parts with text / functionCall, finishReason,
 * usageMetadata, modelVersion, responseId); streams are `data: {GenerateContentResponse}` events spaced in time with
 * no `[DONE]`; errors are `{"error":{"code","message","status"}}` worded like Google's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createVerify, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { readText } from './http-body.js';
import { closeServer, listenOnLoopback } from './loopback.js';

export interface GeminiFakeOptions {
  /** Key expected on the Gemini API surface. Default `'gemini-key-1'`. */
  apiKey?: string;
  /** Models the fake serves; others get 404. Default `['gemini-2.5-flash']`. */
  models?: string[];
  /** Delay between streamed events. Default 20. */
  chunkDelayMs?: number;
  /** Lifetime of minted access tokens. Default 3600. */
  tokenTtlSeconds?: number;
  /** Per-request override; `undefined` for the default echo answer. */
  reply?: (req: GeminiRecordedRequest) => GeminiFakeReply | undefined;
}

export interface GeminiFakeReply {
  /** Answer text. Default `"Echo: <last user text>"`, or none when `functionCalls` are given. Streamed one word per event. */
  text?: string;
  /** Thought-summary text, sent as `thought: true` parts before the answer. */
  thoughts?: string;
  functionCalls?: { name: string; args: Record<string, unknown>; id?: string }[];
  /** Default `STOP`. */
  finishReason?: string;
  /** Exact usage. Default: prompt = ceil(chars of every text part / 4) + 3, candidates = max(1, ceil(answer chars / 4)). */
  usage?: { prompt: number; candidates: number; cached?: number; thoughts?: number };
  /** Answer with this status and a Google-shaped error (or `errorBody`). */
  status?: number;
  errorBody?: unknown;
  /** Streaming: send N events, then destroy the socket. */
  failAfterEvents?: number;
}

export interface GeminiRecordedRequest {
  surface: 'gemini' | 'vertex' | 'token';
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** Model from the URL, `''` for token calls. */
  model: string;
  stream: boolean;
  /** Vertex only. */
  project?: string;
  location?: string;
  receivedAt: number;
}

export interface GeminiFake {
  url: string;
  requests: GeminiRecordedRequest[];
  /** Access tokens minted by `/token`. */
  mints: number;
  /** Streams whose client went away before the end. */
  aborted: number;
  /** Trusts a service account: `/token` verifies assertions from `email` with this public key (PEM). */
  addServiceAccount(email: string, publicKeyPem: string): void;
  setOptions(patch: Partial<GeminiFakeOptions>): void;
  close(): Promise<void>;
}

const GEMINI_ROUTE = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
const VERTEX_ROUTE = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
const STATUS_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

const googleError = (code: number, message: string) => ({ error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN' } });

function defaultError(status: number): unknown {
  if (status === 429) return googleError(429, 'Resource has been exhausted (e.g. check quota).');
  if (status === 503) return googleError(503, 'The model is overloaded. Please try again later.');
  if (status >= 500) return googleError(500, 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
  return googleError(status, 'Request contains an invalid argument.');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}


async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    if (ms > 0) await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

const textOfParts = (parts: unknown): string =>
  Array.isArray(parts) ? parts.map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('') : '';

function lastUserText(body: any): string {
  const contents: any[] = Array.isArray(body?.contents) ? body.contents : [];
  const user = [...contents].reverse().find((c) => (c?.role ?? 'user') === 'user' && textOfParts(c?.parts));
  return textOfParts(user?.parts);
}

function promptChars(body: any): number {
  const contents: any[] = Array.isArray(body?.contents) ? body.contents : [];
  return contents.reduce((n, c) => n + textOfParts(c?.parts).length, textOfParts(body?.systemInstruction?.parts).length);
}

const splitWords = (s: string): string[] => s.match(/\s*\S+|\s+$/g) ?? [];

/** Verifies a compact RS256 JWT; returns its claims, or a reason it is refused. */
function verifyAssertion(assertion: string, keys: Map<string, string>): { claims: any } | { reason: string } {
  const [head, payload, signature] = assertion.split('.');
  if (!head || !payload || !signature) return { reason: 'Invalid JWT: malformed assertion.' };
  let claims: any;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (JSON.parse(Buffer.from(head, 'base64url').toString('utf8')).alg !== 'RS256') return { reason: 'Invalid JWT: alg must be RS256.' };
  } catch {
    return { reason: 'Invalid JWT: not JSON.' };
  }
  const key = keys.get(claims.iss);
  if (!key) return { reason: 'Invalid JWT Signature.' };
  const ok = createVerify('RSA-SHA256').update(`${head}.${payload}`).verify(key, Buffer.from(signature, 'base64url'));
  if (!ok) return { reason: 'Invalid JWT Signature.' };
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp < now || claims.iat > now + 60) return { reason: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.' };
  if (typeof claims.scope !== 'string' || !claims.scope.includes('cloud-platform')) return { reason: 'Invalid JWT: missing the cloud-platform scope.' };
  return { claims };
}

/** Starts the fake on a random loopback port. */
export async function startGeminiFake(initial: GeminiFakeOptions = {}): Promise<GeminiFake> {
  let options: GeminiFakeOptions = { ...initial };
  const trusted = new Map<string, string>();
  const tokens = new Map<string, number>(); // access token → expiry (ms)
  let closing = false;

  async function handleToken(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const form = new URLSearchParams(raw);
    fake.requests.push({ surface: 'token', path: '/token', query: {}, headers: { ...req.headers }, body: Object.fromEntries(form), model: '', stream: false, receivedAt: Date.now() });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
    }
    const checked = verifyAssertion(form.get('assertion') ?? '', trusted);
    if ('reason' in checked) return send(res, 400, { error: 'invalid_grant', error_description: checked.reason });
    const ttl = options.tokenTtlSeconds ?? 3600;
    const token = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    tokens.set(token, Date.now() + ttl * 1000);
    fake.mints++;
    send(res, 200, { access_token: token, expires_in: ttl, token_type: 'Bearer' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    let streaming = false;
    let selfDestroyed = false;
    res.on('close', () => {
      controller.abort();
      if (!res.writableEnded && streaming && !selfDestroyed && !closing) fake.aborted++;
    });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readText(req);
    if (req.method === 'POST' && url.pathname === '/token') return handleToken(req, res, raw);

    const gemini = GEMINI_ROUTE.exec(url.pathname);
    const vertex = VERTEX_ROUTE.exec(url.pathname);
    if (req.method !== 'POST' || (!gemini && !vertex)) return send(res, 404, googleError(404, `Method not found: ${url.pathname}`));
    let body: any = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // recorded as text; refused below
    }
    const model = decodeURIComponent(gemini ? gemini[1]! : vertex![3]!);
    const action = gemini ? gemini[2] : vertex![4];
    const recorded: GeminiRecordedRequest = {
      surface: gemini ? 'gemini' : 'vertex',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      body,
      model,
      stream: action === 'streamGenerateContent',
      project: vertex?.[1],
      location: vertex?.[2],
      receivedAt: Date.now(),
    };
    fake.requests.push(recorded);
    const o = options;

    if (gemini) {
      const key = req.headers['x-goog-api-key'] ?? url.searchParams.get('key');
      if (!key) return send(res, 403, googleError(403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.'));
      if (key !== (o.apiKey ?? 'gemini-key-1')) return send(res, 400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }] } });
    } else {
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const expiry = bearer ? tokens.get(bearer) : undefined;
      if (!expiry || expiry < Date.now()) {
        return send(res, 401, googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'));
      }
    }
    if (body === null || typeof body !== 'object' || !Array.isArray(body.contents) || body.contents.length === 0) {
      return send(res, 400, googleError(400, typeof body === 'object' ? '* GenerateContentRequest.contents: contents is not specified' : 'Invalid JSON payload received.'));
    }
    if (!(o.models ?? ['gemini-2.5-flash']).includes(model)) {
      return send(res, 404, googleError(404, `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`));
    }

    const r = o.reply?.(recorded) ?? {};
    if (r.status !== undefined && r.status >= 400) return send(res, r.status, r.errorBody ?? defaultError(r.status));

    const calls = r.functionCalls ?? [];
    const text = r.text ?? (calls.length > 0 ? '' : `Echo: ${lastUserText(body)}`);
    const argsChars = calls.reduce((n, c) => n + JSON.stringify(c.args).length, 0);
    const usage = r.usage ?? { prompt: Math.ceil(promptChars(body) / 4) + 3, candidates: Math.max(1, Math.ceil((text.length + argsChars) / 4)) };
    const usageMetadata = {
      promptTokenCount: usage.prompt,
      candidatesTokenCount: usage.candidates,
      totalTokenCount: usage.prompt + usage.candidates + (usage.thoughts ?? 0),
      ...(usage.cached ? { cachedContentTokenCount: usage.cached } : {}),
      ...(usage.thoughts ? { thoughtsTokenCount: usage.thoughts } : {}),
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.prompt }],
    };
    const head = { modelVersion: model, responseId: randomBytes(12).toString('base64url') };
    const callParts = calls.map((c, i) => ({ functionCall: { name: c.name, args: c.args, ...(c.id ? { id: c.id } : {}) }, ...(i === 0 ? { thoughtSignature: 'c2lnbmF0dXJl' } : {}) }));
    const finishReason = r.finishReason ?? 'STOP';

    if (!recorded.stream) {
      const parts = [...(r.thoughts ? [{ text: r.thoughts, thought: true }] : []), ...(text ? [{ text }] : []), ...callParts];
      return send(res, 200, { candidates: [{ content: { parts, role: 'model' }, finishReason, index: 0 }], usageMetadata, ...head });
    }
    // Without alt=sse Google streams one JSON array; the gateway always asks for SSE.
    if (url.searchParams.get('alt') !== 'sse') return send(res, 400, googleError(400, 'The fake only streams with alt=sse.'));

    const partial = { promptTokenCount: usage.prompt, totalTokenCount: usage.prompt };
    const events: object[] = [];
    const candidate = (parts: object[], extra: object = {}) => ({ candidates: [{ content: { parts, role: 'model' }, index: 0, ...extra }] });
    if (r.thoughts) events.push({ ...candidate([{ text: r.thoughts, thought: true }]), usageMetadata: partial, ...head });
    for (const word of splitWords(text)) events.push({ ...candidate([{ text: word }]), usageMetadata: partial, ...head });
    if (callParts.length) events.push({ ...candidate(callParts), usageMetadata: partial, ...head });
    events.push({ ...candidate([{ text: '' }], { finishReason }), usageMetadata, ...head });

    streaming = true;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.flushHeaders();
    for (let i = 0; i < events.length; i++) {
      if (i > 0 && !(await wait(o.chunkDelayMs ?? 20, controller.signal))) return;
      if (r.failAfterEvents !== undefined && i >= r.failAfterEvents) {
        selfDestroyed = true;
        return void res.destroy();
      }
      res.write(`data: ${JSON.stringify(events[i])}\r\n\r\n`);
    }
    res.end();
  }

  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, defaultError(500));
      else res.destroy();
    });
  });
  const url = await listenOnLoopback(server);

  const fake: GeminiFake = {
    url,
    requests: [],
    mints: 0,
    aborted: 0,
    addServiceAccount: (email, publicKeyPem) => void trusted.set(email, publicKeyPem),
    setOptions(patch) {
      options = { ...options, ...patch };
    },
    close() {
      closing = true;
      return closeServer(server);
    },
  };
  return fake;
}
