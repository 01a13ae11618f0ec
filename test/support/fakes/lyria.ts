/**
 * A fake Google Lyria 2 upstream on Vertex AI: a real HTTP server on 127.0.0.1 speaking the synchronous predict wire
 * format for music generation:
 *
 * - `POST /token` mints access tokens for the service-account JWT grant (without checking the signature: the Gemini
 *   fake does that);
 * - `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:predict` (Bearer token) with
 *   `{instances: [{prompt, negative_prompt?, seed?}], parameters: {sample_count?}}` answers, after `delayMs`,
 *   `{predictions: [{bytesBase64Encoded, mimeType: "audio/wav"}, …], deployedModelId, model, modelDisplayName}` with one
 *   48 kHz stereo 16-bit WAV clip (30 s unless the plan says otherwise) per sample.
 *
 * Errors are Google's `{"error":{"code","message","status"}}`: a missing prompt, or `seed` with `sample_count`, is a 400
 * INVALID_ARGUMENT, as Vertex answers them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readText } from './http-body.js';
import { closeServer, listenOnLoopback } from './loopback.js';

/** How the fake answers one predict call. */
export interface LyriaPlan {
  /** Answer with this HTTP status and a Google error instead. */
  status?: number;
  message?: string;
  headers?: Record<string, string>;
  /** Seconds of each clip. Default 30. */
  seconds?: number;
  /** Answer 200 with every sample withheld by the safety filter. */
  filtered?: boolean;
  /** Name the bytes `audioContent`, as the API reference's sample does, instead of `bytesBase64Encoded`. */
  audioContent?: boolean;
  /** Wait this long before answering (generation time). */
  delayMs?: number;
}

export interface LyriaFakeOptions {
  models?: string[];
  plan?: (body: any, location: string) => LyriaPlan | undefined;
}

export interface LyriaRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  at: number;
}

export interface LyriaFake {
  url: string;
  requests: LyriaRequest[];
  /** Every clip served, in order. */
  clips: Buffer[];
  /** Access tokens minted so far. */
  tokens: string[];
  setOptions(p: Partial<LyriaFakeOptions>): void;
  close(): Promise<void>;
}

const SAMPLE_RATE = 48_000;
const CHANNELS = 2;

/** A 48 kHz stereo 16-bit PCM WAV of `seconds`: a chord that differs per `seed`, so clips can be told apart. */
export function makeLyriaWav(seconds: number, seed: number): Buffer {
  const frames = Math.round(seconds * SAMPLE_RATE);
  const data = Buffer.alloc(frames * CHANNELS * 2);
  const left = 220 + seed * 7;
  const right = 330 + seed * 11;
  for (let i = 0; i < frames; i++) {
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * left * i) / SAMPLE_RATE) * 6000), i * 4);
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * right * i) / SAMPLE_RATE) * 6000), i * 4 + 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(CHANNELS, 22);
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * CHANNELS * 2, 28); // byte rate
  header.writeUInt16LE(CHANNELS * 2, 32); // block align
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

const googleError = (code: number, status: string, message: string) => ({ error: { code, message, status } });
const STATUS_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}


/** Starts the fake on a free loopback port. */
export async function startLyriaFake(initial: LyriaFakeOptions = {}): Promise<LyriaFake> {
  let options: LyriaFakeOptions = { models: ['lyria-002'], ...initial };
  const requests: LyriaRequest[] = [];
  const clips: Buffer[] = [];
  const tokens: string[] = [];

  async function predict(res: ServerResponse, body: any, project: string, location: string, model: string): Promise<void> {
    const instance = Array.isArray(body?.instances) ? body.instances[0] : undefined;
    if (typeof instance?.prompt !== 'string' || instance.prompt === '') {
      return send(res, 400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. instances[0].prompt is required.'));
    }
    if (instance.seed !== undefined && body.parameters?.sample_count !== undefined) {
      return send(res, 400, googleError(400, 'INVALID_ARGUMENT', 'seed and sample_count cannot be used in the same request.'));
    }
    const plan = options.plan?.(body, location) ?? {};
    if (plan.delayMs) await new Promise((resolve) => setTimeout(resolve, plan.delayMs));
    if (plan.status) {
      const message = plan.message ?? 'The service is currently unavailable.';
      return send(res, plan.status, googleError(plan.status, STATUS_NAMES[plan.status] ?? 'UNKNOWN', message), plan.headers);
    }
    const count = Number(body.parameters?.sample_count ?? 1);
    const predictions = plan.filtered
      ? Array.from({ length: count }, () => ({ raiFilteredReason: 'The music was blocked because the prompt may name a recording artist.' }))
      : Array.from({ length: count }, () => {
          const clip = makeLyriaWav(plan.seconds ?? 30, clips.length + 1);
          clips.push(clip);
          return { [plan.audioContent ? 'audioContent' : 'bytesBase64Encoded']: clip.toString('base64'), mimeType: 'audio/wav' };
        });
    send(res, 200, { predictions, deployedModelId: '1234567890', model: `projects/${project}/locations/${location}/publishers/google/models/${model}`, modelDisplayName: 'Lyria 2' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const text = await readText(req);
    let body: any = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    requests.push({ method: req.method ?? '', path, headers: { ...req.headers }, body, at: Date.now() });

    if (path === '/token' && req.method === 'POST') {
      const token = `ya29.fake-${randomBytes(12).toString('hex')}`;
      tokens.push(token);
      return send(res, 200, { access_token: token, expires_in: 3600, token_type: 'Bearer' });
    }
    if (!tokens.some((t) => req.headers.authorization === `Bearer ${t}`)) {
      return send(res, 401, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
    }
    const route = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):predict$/.exec(path);
    if (req.method === 'POST' && route) {
      const [, project, location, model] = route as unknown as [string, string, string, string];
      if (!options.models!.includes(model)) return send(res, 404, googleError(404, 'NOT_FOUND', `Publisher model projects/${project}/locations/${location}/publishers/google/models/${model} not found.`));
      return predict(res, body, project, location, model);
    }
    send(res, 404, googleError(404, 'NOT_FOUND', 'Not found.'));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => (res.headersSent ? res.destroy() : send(res, 500, googleError(500, 'INTERNAL', 'Internal error encountered.'))));
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    requests,
    clips,
    tokens,
    setOptions(p) {
      options = { ...options, ...p };
    },
    close: () => closeServer(server),
  };
}
