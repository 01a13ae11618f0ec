/**
 * A fake Anthropic Messages API: a real HTTP server on 127.0.0.1 speaking the public wire format of
 * `POST /v1/messages` (x-api-key + anthropic-version headers, Message objects with `content` blocks, and the
 * streamed event sequence message_start → content_block_start → ping → content_block_delta … → content_block_stop
 * → message_delta → message_stop, each with its `event:` name). Errors are `{"type":"error","error":{type,message}}`
 * with the statuses the API uses (401 authentication_error, 400 invalid_request_error, 429 rate_limit_error,
 * 529 overloaded_error), and mid-stream failures are `event: error` frames.
 *
 * Like the real API it rejects a `tool_result` whose `tool_use_id` does not answer a `tool_use` of the assistant
 * turn just before it, so translation mistakes fail loudly in tests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { readText } from './http-body.js';
import { closeServer, listenOnLoopback } from './loopback.js';

export interface AnthropicFakeOptions {
  /** Secret expected in `x-api-key`. Default `'anthropic-secret-1'`. */
  apiKey?: string;
  /** Delay between streamed events (real timer). Default 20. */
  chunkDelayMs?: number;
  /** Per-request override; return `undefined` for the default echo reply. */
  reply?: (req: RecordedAnthropicRequest) => AnthropicFakeReply | undefined;
}

/** What the fake answers for one request; unset fields fall back to the defaults. */
export interface AnthropicFakeReply {
  /** Assistant text. Default `"Echo: <last user text>"`; `''` omits the text block. Streamed one word per delta. */
  content?: string;
  /** tool_use blocks after the text; `stop_reason` becomes `tool_use`. `id` defaults to a random `toolu_…`. */
  toolUses?: { id?: string; name: string; input: Record<string, unknown> }[];
  /** Default `tool_use` with tool uses, else `end_turn`. */
  stopReason?: string;
  /**
   * Exact usage. Default: input_tokens = ceil(message text chars / 4) + 7, output_tokens = max(1, ceil(output
   * chars / 4)) where tool inputs count as their JSON text, cache counts 0.
   */
  usage?: { input_tokens: number; output_tokens: number; cache_creation_input_tokens?: number; cache_read_input_tokens?: number };
  /** Answer with this HTTP status and an Anthropic error body (`errorType` / `errorMessage` override the defaults). */
  status?: number;
  errorType?: string;
  errorMessage?: string;
  /** Adds `retry-after` to the error answer. */
  retryAfterSeconds?: number;
  /** Streaming: after N events send `event: error` (overloaded_error) and end the response. */
  errorAfterEvents?: number;
  /** Streaming: after N events destroy the socket. */
  failAfterEvents?: number;
}

export interface RecordedAnthropicRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: any;
  receivedAt: number;
}

export interface AnthropicFake {
  /** Base URL, e.g. `http://127.0.0.1:54321` (a deployment's `endpoint`). */
  url: string;
  requests: RecordedAnthropicRequest[];
  /** Streams whose client went away before the fake finished. */
  aborted: number;
  setOptions(patch: Partial<AnthropicFakeOptions>): void;
  close(): Promise<void>;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const randomId = (prefix: string) => prefix + randomBytes(18).toString('base64url').replace(/[-_]/g, 'x');
const errorBody = (type: string, message: string) => ({ type: 'error', error: { type, message } });

/** Text of a message `content`: a string or blocks (text blocks and the text inside tool results). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((b) => (b?.type === 'text' ? String(b.text ?? '') : b?.type === 'tool_result' ? textOf(b.content) : '')).join('');
}

/** Word-ish pieces with the leading space kept, like real text deltas. */
const words = (s: string): string[] => s.match(/\s*\S+|\s+$/g) ?? [];

/** Tool input JSON in three pieces, so clients must concatenate `partial_json`. */
function jsonPieces(s: string): string[] {
  const size = Math.max(1, Math.ceil(s.length / 3));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** The request checks the real API makes that translation bugs would trip; returns an error message or null. */
function validate(body: any): string | null {
  if (typeof body?.model !== 'string') return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: Field required';
  if (body.temperature !== undefined && (body.temperature < 0 || body.temperature > 1)) return 'temperature: Input should be less than or equal to 1';
  for (const [i, m] of body.messages.entries()) {
    if (m?.role !== 'user' && m?.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (Array.isArray(m.content) && m.content.length === 0) return `messages.${i}: all messages must have non-empty content`;
    if (!Array.isArray(m.content)) continue;
    for (const b of m.content) if (b?.type === 'text' && !b.text) return `messages.${i}: text content blocks must be non-empty`;
    const results = m.content.filter((b: any) => b?.type === 'tool_result');
    if (results.length === 0) continue;
    const previous = body.messages[i - 1];
    const uses = new Set((Array.isArray(previous?.content) ? previous.content : []).filter((b: any) => b?.type === 'tool_use').map((b: any) => b.id));
    for (const r of results) {
      if (!uses.has(r.tool_use_id)) return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${r.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    }
  }
  return null;
}


function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'request-id': randomId('req_'), ...extra });
  res.end(text);
}

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** Every `[event name, payload]` of one streamed answer, in the order the API sends them. */
function streamEvents(message: { id: string; model: string; content: Block[]; stop_reason: string; usage: Required<NonNullable<AnthropicFakeReply['usage']>> }): [string, object][] {
  const { usage } = message;
  const events: [string, object][] = [
    ['message_start', { type: 'message_start', message: { id: message.id, type: 'message', role: 'assistant', model: message.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } }],
  ];
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }]);
      if (index === 0) events.push(['ping', { type: 'ping' }]);
      for (const piece of words(block.text)) events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }]);
    } else {
      events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }]);
      if (index === 0) events.push(['ping', { type: 'ping' }]);
      // The API opens every tool input with an empty partial_json.
      for (const piece of ['', ...jsonPieces(JSON.stringify(block.input))]) {
        events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } }]);
      }
    }
    events.push(['content_block_stop', { type: 'content_block_stop', index }]);
  });
  events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }]);
  events.push(['message_stop', { type: 'message_stop' }]);
  return events;
}

/** Starts the fake on a random loopback port. */
export async function startAnthropicFake(initial: AnthropicFakeOptions = {}): Promise<AnthropicFake> {
  let options: AnthropicFakeOptions = { ...initial };
  let closing = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    let streaming = false;
    let selfDestroyed = false;
    res.on('close', () => {
      controller.abort();
      if (!res.writableEnded && streaming && !selfDestroyed && !closing) fake.aborted++;
    });
    const raw = await readText(req);
    let body: any = raw;
    try {
      body = JSON.parse(raw);
    } catch { /* keep the raw text in the recording */ }
    const recorded: RecordedAnthropicRequest = { method: req.method ?? '', path: (req.url ?? '/').split('?')[0]!, headers: { ...req.headers }, body, receivedAt: Date.now() };
    fake.requests.push(recorded);
    const o = options;

    if (req.method !== 'POST' || recorded.path !== '/v1/messages') return sendJson(res, 404, errorBody('not_found_error', 'Not found'));
    if (req.headers['x-api-key'] !== (o.apiKey ?? 'anthropic-secret-1')) return sendJson(res, 401, errorBody('authentication_error', 'invalid x-api-key'));
    if (!req.headers['anthropic-version']) return sendJson(res, 400, errorBody('invalid_request_error', 'anthropic-version: header is required'));
    if (typeof body !== 'object' || body === null) return sendJson(res, 400, errorBody('invalid_request_error', 'There was an issue with the JSON body of your request.'));
    const problem = validate(body);
    if (problem) return sendJson(res, 400, errorBody('invalid_request_error', problem));

    const r = o.reply?.(recorded) ?? {};
    if (r.status !== undefined && r.status >= 400) {
      const extra: Record<string, string> = r.retryAfterSeconds !== undefined ? { 'retry-after': String(r.retryAfterSeconds) } : {};
      return sendJson(res, r.status, errorBody(r.errorType ?? ERROR_TYPES[r.status] ?? 'api_error', r.errorMessage ?? 'Request failed.'), extra);
    }

    const lastUser = [...body.messages].reverse().find((m: any) => m?.role === 'user');
    const text = r.content ?? `Echo: ${textOf(lastUser?.content)}`;
    const content: Block[] = [];
    if (text) content.push({ type: 'text', text });
    for (const t of r.toolUses ?? []) content.push({ type: 'tool_use', id: t.id ?? randomId('toolu_'), name: t.name, input: t.input });
    const promptChars = body.messages.reduce((n: number, m: any) => n + textOf(m?.content).length, 0) + (typeof body.system === 'string' ? body.system.length : textOf(body.system).length);
    const outChars = text.length + (r.toolUses ?? []).reduce((n, t) => n + JSON.stringify(t.input).length, 0);
    const usage = {
      input_tokens: r.usage?.input_tokens ?? Math.ceil(promptChars / 4) + 7,
      output_tokens: r.usage?.output_tokens ?? Math.max(1, Math.ceil(outChars / 4)),
      cache_creation_input_tokens: r.usage?.cache_creation_input_tokens ?? 0,
      cache_read_input_tokens: r.usage?.cache_read_input_tokens ?? 0,
    };
    const message = { id: randomId('msg_'), model: body.model, content, stop_reason: r.stopReason ?? (r.toolUses?.length ? 'tool_use' : 'end_turn'), usage };

    if (body.stream !== true) {
      return sendJson(res, 200, { id: message.id, type: 'message', role: 'assistant', model: message.model, content, stop_reason: message.stop_reason, stop_sequence: null, usage });
    }

    streaming = true;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': randomId('req_') });
    res.flushHeaders();
    const events = streamEvents(message);
    for (let i = 0; i < events.length; i++) {
      if (i > 0) {
        try {
          await sleep(o.chunkDelayMs ?? 20, undefined, { signal: controller.signal });
        } catch {
          return; // the client went away
        }
      }
      if (r.failAfterEvents !== undefined && i >= r.failAfterEvents) {
        selfDestroyed = true;
        return void res.destroy();
      }
      if (r.errorAfterEvents !== undefined && i >= r.errorAfterEvents) {
        res.end(`event: error\ndata: ${JSON.stringify(errorBody('overloaded_error', 'Overloaded'))}\n\n`);
        return;
      }
      const [name, payload] = events[i]!;
      res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    }
    res.end();
  }

  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, errorBody('api_error', 'Internal server error'));
      else res.destroy();
    });
  });
  const url = await listenOnLoopback(server);

  const fake: AnthropicFake = {
    url,
    requests: [],
    aborted: 0,
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
