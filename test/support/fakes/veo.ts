/**
 * A fake Google Veo upstream: a real HTTP server on 127.0.0.1 speaking both surfaces' long-running-operation wire
 * formats for video generation:
 *
 * - Gemini API: `POST /v1beta/models/{model}:predictLongRunning` (key in `x-goog-api-key`) → `{name:
 *   "models/{model}/operations/{id}"}`; `GET /v1beta/models/{model}/operations/{id}` → `{name, done, metadata}` and,
 *   once done, `response.generateVideoResponse.generatedSamples[].video.uri` pointing at
 *   `GET /v1beta/files/{file}:download?alt=media` (key required) which serves the MP4.
 * - Vertex AI: `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:predictLongRunning` (Bearer token)
 *   → `{name: "projects/{p}/locations/{l}/publishers/google/models/{m}/operations/{id}"}`; `POST …/models/{m}:fetchPredictOperation`
 *   with `{operationName}` → the operation, `response.videos[].bytesBase64Encoded` once done; `POST /token` mints
 *   access tokens for the service-account JWT grant (without checking the signature: the Gemini fake does that).
 *
 * Operations finish `durationMs` after they start, with videos, or with `error: {code, message, status}`, or with every
 * sample filtered (`raiMediaFilteredCount`). Errors are `{"error":{"code","message","status"}}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { makeMp4 } from './azure-video.js';
import { readText } from './http-body.js';
import { closeServer, listenOnLoopback } from './loopback.js';

export interface VeoOperationPlan {
  /** End with `error` instead of videos. */
  error?: { code: number; message: string; status: string };
  /** End with every sample filtered by the safety filters. */
  filtered?: boolean;
  /** Answer the create call with this HTTP status instead. */
  status?: number;
  durationMs?: number;
}

export interface VeoFakeOptions {
  apiKey?: string;
  models?: string[];
  /** Time from create to done. Default 300. */
  durationMs?: number;
  plan?: (body: any) => VeoOperationPlan | undefined;
}

export interface VeoRequest {
  surface: 'gemini' | 'vertex' | 'token';
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  at: number;
}

interface Operation {
  name: string;
  surface: 'gemini' | 'vertex';
  body: any;
  plan: VeoOperationPlan;
  startedAt: number;
  /** The finished operation, computed once (Gemini file ids are minted once per operation). */
  answer?: unknown;
}

export interface VeoFake {
  url: string;
  requests: VeoRequest[];
  operations: Map<string, Operation>;
  /** Generated videos served on the Gemini surface, by file id. */
  files: Map<string, Buffer>;
  /** Access tokens minted so far. */
  tokens: string[];
  setOptions(p: Partial<VeoFakeOptions>): void;
  close(): Promise<void>;
}

const googleError = (code: number, status: string, message: string) => ({ error: { code, message, status } });

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) }).end(text);
}


/** Starts the fake on a free loopback port. */
export async function startVeoFake(initial: VeoFakeOptions = {}): Promise<VeoFake> {
  let options = { apiKey: 'gemini-key-1', models: ['veo-3.0-generate-001'], durationMs: 300, ...initial };
  const operations = new Map<string, Operation>();
  const files = new Map<string, Buffer>();
  const tokens: string[] = [];
  const requests: VeoRequest[] = [];
  let seed = 100;
  let url = '';

  function operationView(op: Operation): unknown {
    if (op.answer) return op.answer;
    const metadata = { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningMetadata' };
    if (Date.now() - op.startedAt < (op.plan.durationMs ?? options.durationMs)) return { name: op.name, metadata, done: false };
    if (op.plan.error) return (op.answer = { name: op.name, metadata, done: true, error: op.plan.error });
    const videos = Array.from({ length: op.plan.filtered ? 0 : Number(op.body?.parameters?.sampleCount ?? 1) }, () => makeMp4(++seed, 3000));
    const reasons = op.plan.filtered ? { raiMediaFilteredCount: 1, raiMediaFilteredReasons: ['The video was filtered because it may violate the usage guidelines.'] } : {};
    if (op.surface === 'vertex') {
      const response = {
        '@type': 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse',
        raiMediaFilteredCount: 0,
        ...reasons,
        videos: videos.map((v) => ({ bytesBase64Encoded: v.toString('base64'), mimeType: 'video/mp4' })),
      };
      return (op.answer = { name: op.name, done: true, response });
    }
    const samples = videos.map((v) => {
      const id = randomBytes(6).toString('hex');
      files.set(id, v);
      return { video: { uri: `${url}/v1beta/files/${id}:download?alt=media` } };
    });
    const response = { '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse', generateVideoResponse: { generatedSamples: samples, ...reasons } };
    return (op.answer = { name: op.name, metadata, done: true, response });
  }

  function create(surface: 'gemini' | 'vertex', res: ServerResponse, body: any, name: string): void {
    if (!Array.isArray(body?.instances) || typeof body.instances[0]?.prompt !== 'string') {
      return send(res, 400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. instances[0].prompt is required.'));
    }
    const plan = options.plan?.(body) ?? {};
    if (plan.status) return send(res, plan.status, googleError(plan.status, plan.status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE', 'The service is currently unavailable.'));
    const op: Operation = { name, surface, body, plan, startedAt: Date.now() };
    operations.set(name, op);
    send(res, 200, { name });
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
    const path = u.pathname;
    const surface = path === '/token' ? 'token' : path.startsWith('/v1beta/') ? 'gemini' : 'vertex';
    requests.push({ surface, method: req.method ?? '', path, headers: { ...req.headers }, body, at: Date.now() });

    if (surface === 'token') {
      const token = `ya29.fake-${randomBytes(12).toString('hex')}`;
      tokens.push(token);
      return send(res, 200, { access_token: token, expires_in: 3600, token_type: 'Bearer' });
    }
    if (surface === 'gemini') {
      if (req.headers['x-goog-api-key'] !== options.apiKey) return send(res, 400, googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.'));
      const create_ = /^\/v1beta\/models\/([^/:]+):predictLongRunning$/.exec(path);
      if (req.method === 'POST' && create_) {
        if (!options.models.includes(create_[1]!)) return send(res, 404, googleError(404, 'NOT_FOUND', `models/${create_[1]} is not found for API version v1beta.`));
        return create('gemini', res, body, `models/${create_[1]}/operations/${randomBytes(6).toString('hex')}`);
      }
      const file = /^\/v1beta\/files\/([\w-]+):download$/.exec(path);
      if (req.method === 'GET' && file) {
        const bytes = files.get(file[1]!);
        if (!bytes) return send(res, 404, googleError(404, 'NOT_FOUND', 'File not found.'));
        return void res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length }).end(bytes);
      }
      const op = operations.get(path.replace(/^\/v1beta\//, ''));
      if (req.method === 'GET' && op) return send(res, 200, operationView(op));
      return send(res, 404, googleError(404, 'NOT_FOUND', 'Requested entity was not found.'));
    }
    // Vertex
    if (!tokens.some((t) => req.headers.authorization === `Bearer ${t}`)) {
      return send(res, 401, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
    }
    const model = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/([^/:]+)):(predictLongRunning|fetchPredictOperation)$/.exec(path);
    if (req.method === 'POST' && model) {
      if (!options.models.includes(model[2]!)) return send(res, 404, googleError(404, 'NOT_FOUND', `Publisher model ${model[1]} not found.`));
      if (model[3] === 'predictLongRunning') return create('vertex', res, body, `${model[1]}/operations/${randomBytes(8).toString('hex')}`);
      const op = operations.get(String(body?.operationName ?? ''));
      if (!op) return send(res, 404, googleError(404, 'NOT_FOUND', 'Operation not found.'));
      return send(res, 200, operationView(op));
    }
    send(res, 404, googleError(404, 'NOT_FOUND', 'Not found.'));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => (res.headersSent ? res.destroy() : send(res, 500, googleError(500, 'INTERNAL', 'Internal error encountered.'))));
  });
  url = await listenOnLoopback(server);
  return {
    url,
    requests,
    operations,
    files,
    tokens,
    setOptions(p) {
      options = { ...options, ...p };
    },
    close: () => closeServer(server),
  };
}
