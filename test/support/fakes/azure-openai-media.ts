/**
 * The non-chat surface of the Azure OpenAI fake: embeddings, image generations and edits, speech and transcriptions,
 * on the same two URL shapes as chat (`/openai/deployments/{d}/{operation}?api-version=…` and `/openai/v1/{operation}`).
 * Shapes follow the public Azure OpenAI / OpenAI API references: embeddings `{object:"list", data, model, usage}` with
 * float or base64 (little-endian float32) vectors; images `{created, data:[{url|b64_json, revised_prompt}]}` where
 * gpt-image models always answer base64 and refuse `response_format`; speech as raw audio bytes streamed in chunks;
 * transcriptions in json, text, srt, vtt or verbose_json (`duration` + `segments`), multipart uploads in.
 */
import { randomBytes, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AzureFakeOptions, FakeReply, RecordedRequest } from './azure-openai.js';
import { makePng, makeWav, parseMultipart, wavSeconds, type FormPart } from './media-bytes.js';

/** Per-request knobs for media answers (fields of `FakeReply`). */
export interface MediaFakeReply {
  /** Transcriptions: the reported `duration` in seconds. Default: the uploaded WAV's own duration, else 1. */
  duration?: number;
  /** Images: how many to return. Default: the request's `n`. */
  images?: number;
  /** Speech: seconds of audio to synthesise. Default 1 (16 KB of 8 kHz WAV). */
  audioSeconds?: number;
  /** Speech: how many chunks the audio is written in, `chunkDelayMs` apart. Default 8. */
  audioChunks?: number;
  /** Speech: send no Content-Type (as some OpenAI-compatible servers do). */
  omitAudioType?: boolean;
}

export type MediaOperation = 'embeddings' | 'images/generations' | 'images/edits' | 'audio/speech' | 'audio/transcriptions';
export type MediaRoute = ({ kind: 'dated'; deployment: string } | { kind: 'v1' }) & { operation: MediaOperation };

export interface MediaFakeContext {
  options: Required<Pick<AzureFakeOptions, 'deployments' | 'chunkDelayMs' | 'firstByteDelayMs'>> & Pick<AzureFakeOptions, 'reply'>;
  signal: AbortSignal;
  requests: RecordedRequest[];
  authorized: boolean;
  sendJson(res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void;
  errorBody(status: number): unknown;
  /** Marks the request as a stream, so a client disconnect counts in `aborted`. */
  markStream(): void;
}

const OPERATIONS = 'embeddings|images/generations|images/edits|audio/speech|audio/transcriptions';
const DATED = new RegExp(`^/openai/deployments/([^/]+)/(${OPERATIONS})$`);
const V1 = new RegExp(`^/openai/v1/(${OPERATIONS})$`);
/** Images answered as `url` are served by the fake itself, like Azure's short-lived blob URLs. */
const blobs = new Map<string, Buffer>();

export function matchMediaRoute(method: string, pathname: string): MediaRoute | { kind: 'blob'; id: string } | null {
  const blob = /^\/fake-blobs\/([\w-]+)\.png$/.exec(pathname);
  if (method === 'GET' && blob) return { kind: 'blob', id: blob[1]! };
  if (method !== 'POST') return null;
  const dated = DATED.exec(pathname);
  if (dated) return { kind: 'dated', deployment: decodeURIComponent(dated[1]!), operation: dated[2] as MediaOperation };
  const v1 = V1.exec(pathname);
  return v1 ? { kind: 'v1', operation: v1[1] as MediaOperation } : null;
}

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const badRequest = (message: string, param: string | null = null, code: string | null = null) => ({ error: { message, type: 'invalid_request_error', param, code } });

/** Serves one media request (route already matched). */
export async function handleMediaRequest(req: IncomingMessage, res: ServerResponse, route: ReturnType<typeof matchMediaRoute> & object, ctx: MediaFakeContext): Promise<void> {
  if (route.kind === 'blob') {
    const bytes = blobs.get(route.id);
    if (!bytes) return ctx.sendJson(res, 404, { error: { code: 'BlobNotFound', message: 'The specified blob does not exist.' } });
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length });
    return void res.end(bytes);
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const raw = await readRaw(req);
  const multipart = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
  let body: any = raw.toString('utf8');
  let parsed = false;
  let files: FormPart[] = [];
  if (multipart) {
    const parts = parseMultipart(raw, req.headers['content-type']);
    if (parts) {
      parsed = true;
      body = {};
      for (const p of parts.filter((p) => p.filename === undefined)) {
        const value = p.data.toString('utf8');
        body[p.name] = body[p.name] === undefined ? value : [].concat(body[p.name], value as never);
      }
      files = parts.filter((p) => p.filename !== undefined);
    }
  } else {
    try {
      body = JSON.parse(body);
      parsed = body !== null && typeof body === 'object' && !Array.isArray(body);
    } catch { /* keep the raw text for the recording */ }
  }
  const deployment = route.kind === 'dated' ? route.deployment : parsed && typeof body.model === 'string' ? body.model : '';
  const recorded: RecordedRequest = {
    method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams),
    headers: { ...req.headers }, body, deployment, receivedAt: Date.now(), files,
  };
  ctx.requests.push(recorded);
  const o = ctx.options;
  if (!(await wait(o.firstByteDelayMs, ctx.signal))) return;
  if (!ctx.authorized) return ctx.sendJson(res, 401, ctx.errorBody(401));
  if (route.kind === 'dated' && !recorded.query['api-version']) return ctx.sendJson(res, 404, ctx.errorBody(404));
  if (!parsed) return ctx.sendJson(res, 400, badRequest(multipart ? 'Invalid multipart body.' : 'We could not parse the JSON body of your request.'));
  if (!o.deployments.includes(deployment)) return ctx.sendJson(res, 404, { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } });
  const r: FakeReply = o.reply?.(recorded) ?? {};
  if (r.status !== undefined && r.status >= 400) return ctx.sendJson(res, r.status, r.errorBody ?? ctx.errorBody(r.status));

  switch (route.operation) {
    case 'embeddings':
      return embeddings(res, ctx, body, deployment, r);
    case 'images/generations':
    case 'images/edits':
      return images(res, ctx, route.operation, body, files, deployment, r, `http://${req.headers.host}`);
    case 'audio/speech':
      return speech(res, ctx, body, r);
    case 'audio/transcriptions':
      return transcription(res, ctx, body, files, deployment, r);
  }
}

async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  return sleep(ms, undefined, { signal }).then(() => true, () => false);
}

/** A deterministic unit-ish vector per input, so equal inputs embed equally. */
function vectorOf(text: string, dimensions: number): number[] {
  const seed = createHash('sha256').update(text).digest();
  return Array.from({ length: dimensions }, (_, i) => Math.fround(((seed[i % 32]! + i * 7) % 255) / 255 - 0.5));
}

function embeddings(res: ServerResponse, ctx: MediaFakeContext, body: any, deployment: string, r: FakeReply): void {
  const input = body.input;
  const items: (string | number[])[] = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((t: unknown) => typeof t === 'number') ? [input] : Array.isArray(input) ? input : [];
  if (items.length === 0 || items.some((t) => (typeof t === 'string' ? t.length === 0 : !Array.isArray(t)))) {
    return ctx.sendJson(res, 400, badRequest("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'input'));
  }
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 1536;
  const data = items.map((item, index) => {
    const vector = vectorOf(typeof item === 'string' ? item : item.join(','), dimensions);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = r.usage?.prompt_tokens ?? items.reduce<number>((n, t) => n + (typeof t === 'string' ? Math.ceil(t.length / 4) : t.length), 0);
  ctx.sendJson(res, 200, { object: 'list', data, model: deployment, usage: { prompt_tokens: tokens, total_tokens: tokens } });
}

async function images(res: ServerResponse, ctx: MediaFakeContext, operation: MediaOperation, body: any, files: FormPart[], deployment: string, r: FakeReply, origin: string): Promise<void> {
  const gptImage = /^gpt-image/.test(deployment);
  if (gptImage && body.response_format !== undefined) return ctx.sendJson(res, 400, badRequest("Unknown parameter: 'response_format'.", 'response_format', 'unknown_parameter'));
  if (typeof body.prompt !== 'string' || body.prompt.length === 0) return ctx.sendJson(res, 400, badRequest("Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter'));
  if (operation === 'images/edits') {
    const images = files.filter((f) => f.name === 'image' || f.name === 'image[]');
    if (images.length === 0) return ctx.sendJson(res, 400, badRequest("Missing required parameter: 'image'.", 'image', 'missing_required_parameter'));
    if (images.some((f) => !f.data.subarray(0, 8).equals(makePng(1, 1).subarray(0, 8)))) return ctx.sendJson(res, 400, badRequest('Invalid image file. Supported formats are PNG.', 'image', 'invalid_image_format'));
  }
  const n = r.images ?? Number(body.n ?? 1);
  const data = Array.from({ length: n }, (_, i) => {
    const png = makePng(16, 16, i + 1);
    if (gptImage || body.response_format === 'b64_json') return { b64_json: png.toString('base64'), ...(gptImage ? {} : { revised_prompt: `A picture of ${body.prompt}` }) };
    const id = randomBytes(9).toString('base64url');
    blobs.set(id, png);
    return { url: `${origin}/fake-blobs/${id}.png`, revised_prompt: `A picture of ${body.prompt}` };
  });
  const usage = gptImage ? { usage: { input_tokens: 20, output_tokens: 272 * n, total_tokens: 20 + 272 * n, input_tokens_details: { text_tokens: 20, image_tokens: 0 } } } : {};
  ctx.sendJson(res, 200, { created: Math.floor(Date.now() / 1000), data, ...usage });
}

const AUDIO_TYPES: Record<string, string> = { mp3: 'audio/mpeg', opus: 'audio/opus', aac: 'audio/aac', flac: 'audio/flac', wav: 'audio/wav', pcm: 'audio/pcm' };

async function speech(res: ServerResponse, ctx: MediaFakeContext, body: any, r: FakeReply): Promise<void> {
  if (typeof body.input !== 'string' || body.input.length === 0) return ctx.sendJson(res, 400, badRequest("Missing required parameter: 'input'.", 'input'));
  if (typeof body.voice !== 'string') return ctx.sendJson(res, 400, badRequest("Missing required parameter: 'voice'.", 'voice'));
  const format = typeof body.response_format === 'string' ? body.response_format : 'mp3';
  if (!AUDIO_TYPES[format]) return ctx.sendJson(res, 400, badRequest(`Invalid value: '${format}'.`, 'response_format'));
  const audio = makeWav(r.audioSeconds ?? 1);
  const pieces = r.audioChunks ?? 8;
  const size = Math.ceil(audio.length / pieces);
  ctx.markStream();
  res.writeHead(200, { ...(r.omitAudioType ? {} : { 'content-type': AUDIO_TYPES[format]! }), 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  for (let at = 0; at < audio.length; at += size) {
    if (at > 0 && !(await wait(ctx.options.chunkDelayMs, ctx.signal))) return;
    res.write(audio.subarray(at, at + size));
  }
  res.end();
}

const DEFAULT_TRANSCRIPT = 'The quick brown fox jumps over the lazy dog. It was a sunny day.';

function transcription(res: ServerResponse, ctx: MediaFakeContext, body: any, files: FormPart[], deployment: string, r: FakeReply): void {
  const file = files.find((f) => f.name === 'file');
  if (!file) return ctx.sendJson(res, 400, badRequest("Missing required parameter: 'file'.", 'file'));
  const format = typeof body.response_format === 'string' ? body.response_format : 'json';
  if (/transcribe/.test(deployment) && format !== 'json' && format !== 'text') {
    return ctx.sendJson(res, 400, badRequest(`response_format '${format}' is not compatible with model '${deployment}'. Use 'json' or 'text' instead.`, 'response_format', 'unsupported_value'));
  }
  const duration = r.duration ?? wavSeconds(file.data) ?? 1;
  const text = r.content ?? DEFAULT_TRANSCRIPT;
  const sentences = text.match(/[^.!?]+[.!?]*/g)?.map((s) => s.trim()).filter(Boolean) ?? [text];
  let start = 0;
  const segments = sentences.map((sentence, id) => {
    const end = id === sentences.length - 1 ? duration : start + (duration * sentence.length) / text.length;
    const segment = { id, seek: 0, start: round(start), end: round(end), text: ` ${sentence}`, tokens: [], temperature: 0, avg_logprob: -0.2, compression_ratio: 1.1, no_speech_prob: 0.01 };
    start = end;
    return segment;
  });
  const plain = { 'content-type': 'text/plain; charset=utf-8' };
  if (format === 'json' && /transcribe/.test(deployment)) {
    // gpt-4o(-mini)-transcribe count tokens, not seconds: 10 audio tokens a second here, and ~4 characters a text token.
    const audioTokens = Math.ceil(duration * 10);
    const outputTokens = Math.ceil(text.length / 4);
    const usage = { type: 'tokens', input_tokens: audioTokens, input_token_details: { text_tokens: 0, audio_tokens: audioTokens }, output_tokens: outputTokens, total_tokens: audioTokens + outputTokens };
    return ctx.sendJson(res, 200, { text, usage });
  }
  if (format === 'json') return ctx.sendJson(res, 200, { text, usage: { type: 'duration', seconds: Math.ceil(duration) } });
  if (format === 'verbose_json') return ctx.sendJson(res, 200, { task: 'transcribe', language: 'english', duration, text, segments });
  if (format === 'text') return void res.writeHead(200, plain).end(`${text}\n`);
  if (format === 'srt' || format === 'vtt') {
    const stamp = (s: number) => new Date(Math.round(s * 1000)).toISOString().slice(11, 23).replace('.', format === 'srt' ? ',' : '.');
    const cues = segments.map((s, i) => `${format === 'srt' ? `${i + 1}\n` : ''}${stamp(s.start)} --> ${stamp(s.end)}\n${s.text.trim()}\n`);
    return void res.writeHead(200, plain).end((format === 'vtt' ? ['WEBVTT\n', ...cues] : cues).join('\n'));
  }
  ctx.sendJson(res, 400, badRequest(`Invalid value: '${format}'.`, 'response_format'));
}

const round = (n: number) => Math.round(n * 100) / 100;
