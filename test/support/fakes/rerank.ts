/**
 * A fake OpenAI-compatible rerank server (the Cohere/Jina shape that vLLM, Infinity and TEI-style servers expose):
 * `POST {base}/rerank` with `Authorization: Bearer`, body `{model, query, documents, top_n, return_documents}`,
 * answering `{id, model, results:[{index, relevance_score, document?}], usage:{total_tokens}, meta:{billed_units}}`
 * with results sorted by score. A real HTTP server on 127.0.0.1, like the Azure fake.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { closeServer, listenOnLoopback } from './loopback.js';

export interface RerankFakeOptions {
  /** Bearer token expected. Default `'rerank-secret'`. */
  apiKey?: string;
  /** Tokens to report in `usage.total_tokens`; `null` omits usage. Default: ceil(chars of query × docs + docs / 4). */
  totalTokens?: number | null;
  /** Answer with this status and an error body instead. */
  status?: number;
}

export interface RerankRequestRecord {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface RerankFake {
  /** Base URL including `/v1` (use as the deployment endpoint). */
  url: string;
  requests: RerankRequestRecord[];
  setOptions(p: Partial<RerankFakeOptions>): void;
  close(): Promise<void>;
}

/** Word-overlap relevance in [0, 1]: enough for ordering to be checked. */
function score(query: string, doc: string): number {
  const words = new Set(query.toLowerCase().match(/\w+/g) ?? []);
  const docWords = doc.toLowerCase().match(/\w+/g) ?? [];
  if (words.size === 0 || docWords.length === 0) return 0;
  const hits = docWords.filter((w) => words.has(w)).length;
  return Math.round((hits / docWords.length) * 1e6) / 1e6;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startRerankFake(initial: RerankFakeOptions = {}): Promise<RerankFake> {
  let options = { ...initial };
  const requests: RerankRequestRecord[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = undefined;
    }
    requests.push({ path: url.pathname, headers: { ...req.headers }, body });
    if (req.method !== 'POST' || url.pathname !== '/v1/rerank') return send(res, 404, { detail: 'Not Found' });
    if (req.headers.authorization !== `Bearer ${options.apiKey ?? 'rerank-secret'}`) return send(res, 401, { error: { message: 'Invalid API key', type: 'authentication_error' } });
    if (options.status) return send(res, options.status, { error: { message: `fake failure ${options.status}`, type: 'server_error' } });
    if (!body || typeof body.query !== 'string' || !Array.isArray(body.documents)) {
      return send(res, 400, { error: { message: 'query and documents are required', type: 'invalid_request_error', param: 'documents' } });
    }
    const docs: string[] = body.documents.map((d: unknown) => (typeof d === 'string' ? d : String((d as { text?: unknown })?.text ?? '')));
    const ranked = docs
      .map((text, index) => ({ index, relevance_score: score(body.query, text), ...(body.return_documents ? { document: { text } } : {}) }))
      .sort((a, b) => b.relevance_score - a.relevance_score)
      .slice(0, typeof body.top_n === 'number' ? body.top_n : docs.length);
    const tokens = options.totalTokens === undefined ? Math.ceil((body.query.length * docs.length + docs.join('').length) / 4) : options.totalTokens;
    send(res, 200, {
      id: randomUUID(),
      model: body.model,
      results: ranked,
      ...(tokens === null ? {} : { usage: { total_tokens: tokens } }),
      meta: { billed_units: { search_units: 1 } },
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: { message: 'fake crashed' } }));
  });
  const url = await listenOnLoopback(server);
  return {
    url: `${url}/v1`,
    requests,
    setOptions(p) {
      options = { ...options, ...p };
    },
    close: () => closeServer(server),
  };
}
