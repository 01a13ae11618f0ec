/**
 * A fake OpenAI-compatible music-job server: a real HTTP server on 127.0.0.1 speaking the job API the gateway's
 * `openai-compatible` music provider documents (src-gateway/jobs/providers/compatible-music.ts):
 *
 * - `POST /v1/music/generations` `{model, prompt, duration, n, negative_prompt?, lyrics?}` → 202 `{id, object, status:"queued"}`;
 * - `GET /v1/music/generations/{id}` → `queued`, then `in_progress` with a rising `progress`, then `completed` with
 *   `audio_urls` (relative, `/v1/music/files/{file}.wav`, to exercise URL resolution), `audio_url` and `durations`
 *   (or `failed` with `error: {message}`), one step every `stepMs`;
 * - `POST /v1/music/generations/{id}/cancel` → the job, `cancelled`;
 * - `GET /v1/music/files/{file}.wav` → WAV audio (token required, like the rest).
 *
 * Auth is `Authorization: Bearer <token>`; errors are OpenAI-shaped `{"error":{"message","type","code"}}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { makeWav } from './media-bytes.js';
import { readText } from './http-body.js';
import { closeServer, listenOnLoopback } from './loopback.js';

export interface MusicJobPlan {
  /** Fail the job with this message at the end. */
  fail?: string;
  /** The seconds each track reports (and the WAV lasts). Default: the requested duration. */
  reportedSeconds?: number;
  /** Answer the create call with this HTTP status instead (an OpenAI-shaped error). */
  status?: number;
  /** The message of that error (default: "The server is overloaded."). */
  message?: string;
  /** Headers of that error answer (e.g. `retry-after`). */
  headers?: Record<string, string>;
  /** Answer the create call 202 without a job id. */
  noId?: boolean;
  /** Wait this long before answering the create call (to exceed the gateway's upstream timeout). */
  delayMs?: number;
  stepMs?: number;
}

export interface MusicFakeOptions {
  token?: string;
  models?: string[];
  /** Milliseconds per status step (queued, in_progress ×3, done). Default 80. */
  stepMs?: number;
  plan?: (body: any) => MusicJobPlan | undefined;
}

export interface MusicRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  at: number;
}

interface MusicJob {
  id: string;
  body: any;
  plan: MusicJobPlan;
  createdAt: number;
  cancelled: boolean;
  files: string[];
}

export interface MusicFake {
  /** The base URL clients configure (including `/v1`). */
  url: string;
  requests: MusicRequest[];
  jobs: Map<string, MusicJob>;
  audio: Map<string, Buffer>;
  setOptions(p: Partial<MusicFakeOptions>): void;
  close(): Promise<void>;
}

const openAiError = (message: string, type = 'invalid_request_error', code: string | null = null) => ({ error: { message, type, code, param: null } });

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}


/** Starts the fake on a free loopback port. */
export async function startMusicFake(initial: MusicFakeOptions = {}): Promise<MusicFake> {
  let options = { token: 'music-token-1', models: ['lyria-002'], stepMs: 80, ...initial };
  const jobs = new Map<string, MusicJob>();
  const audio = new Map<string, Buffer>();
  const requests: MusicRequest[] = [];

  function view(job: MusicJob) {
    const base = { id: job.id, object: 'music.generation', model: job.body.model, created_at: Math.floor(job.createdAt / 1000) };
    if (job.cancelled) return { ...base, status: 'cancelled' };
    const step = Math.floor((Date.now() - job.createdAt) / (job.plan.stepMs ?? options.stepMs));
    if (step < 1) return { ...base, status: 'queued' };
    if (step < 4) return { ...base, status: 'in_progress', progress: step * 25 };
    if (job.plan.fail) return { ...base, status: 'failed', error: { message: job.plan.fail } };
    const seconds = job.plan.reportedSeconds ?? Number(job.body.duration);
    while (job.files.length < Number(job.body.n ?? 1)) {
      const id = randomBytes(6).toString('hex');
      audio.set(id, makeWav(seconds));
      job.files.push(id);
    }
    const urls = job.files.map((f) => `/v1/music/files/${f}.wav`);
    return { ...base, status: 'completed', progress: 100, audio_url: urls[0], audio_urls: urls, duration: seconds, durations: urls.map(() => seconds) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const text = await readText(req);
    let body: any = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    requests.push({ method: req.method ?? '', path: u.pathname, headers: { ...req.headers }, body, at: Date.now() });
    if (req.headers.authorization !== `Bearer ${options.token}`) return send(res, 401, openAiError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));

    if (req.method === 'POST' && u.pathname === '/v1/music/generations') {
      if (typeof body?.prompt !== 'string' || body.prompt.length === 0) return send(res, 400, openAiError("Missing required parameter: 'prompt'."));
      if (!options.models.includes(body.model)) return send(res, 404, openAiError(`The model '${body.model}' does not exist.`, 'invalid_request_error', 'model_not_found'));
      const plan = options.plan?.(body) ?? {};
      if (plan.delayMs) await new Promise((resolve) => setTimeout(resolve, plan.delayMs));
      if (res.destroyed) return;
      if (plan.status) return send(res, plan.status, openAiError(plan.message ?? 'The server is overloaded.', plan.status < 500 && plan.status !== 429 ? 'invalid_request_error' : 'server_error'), plan.headers);
      if (plan.noId) return send(res, 202, { object: 'music.generation', status: 'queued' });
      const job: MusicJob = { id: `mus_${randomBytes(8).toString('hex')}`, body, plan, createdAt: Date.now(), cancelled: false, files: [] };
      jobs.set(job.id, job);
      return send(res, 202, view(job));
    }
    const jobPath = /^\/v1\/music\/generations\/([\w-]+)(\/cancel)?$/.exec(u.pathname);
    if (jobPath) {
      const job = jobs.get(jobPath[1]!);
      if (!job) return send(res, 404, openAiError('No such job.', 'invalid_request_error', 'not_found'));
      if (req.method === 'GET' && !jobPath[2]) return send(res, 200, view(job));
      if (req.method === 'POST' && jobPath[2]) {
        job.cancelled = true;
        return send(res, 200, view(job));
      }
    }
    const file = /^\/v1\/music\/files\/([\w-]+)\.wav$/.exec(u.pathname);
    if (req.method === 'GET' && file) {
      const bytes = audio.get(file[1]!);
      if (!bytes) return send(res, 404, openAiError('No such file.'));
      return void res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': bytes.length }).end(bytes);
    }
    send(res, 404, openAiError(`Unknown path ${u.pathname}.`));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => (res.headersSent ? res.destroy() : send(res, 500, openAiError('Internal error.', 'server_error'))));
  });
  const url = await listenOnLoopback(server);
  return {
    url: `${url}/v1`,
    requests,
    jobs,
    audio,
    setOptions(p) {
      options = { ...options, ...p };
    },
    close: () => closeServer(server),
  };
}
