import type { FastifyReply, FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';
import type { Deployment } from '../db/deployments-repository.js';
import { mediaHoldMicros } from '../domain/media-pricing.js';
import { fetchInputUrl, DEFAULT_FETCH_TIMEOUT_MS } from '../media/fetch-input.js';
import { sniffContentType, type MediaStore } from '../media/store.js';
import type { UploadedFile } from '../providers/types.js';
import type { UpstreamResponse } from '../providers/http.js';
import { runBilledCall, readUpstreamJson, type CallState, type Settlement } from './billed-call.js';
import { optionalEnum, optionalInt, refuseStream, requireBody, requireString, type JsonBody } from './media-request.js';
import type { PipelineContext, Principal } from './context.js';

/** Contract: images are at most 20 MB (uploads, URL inputs and what an upstream URL points at). */
export const IMAGE_BYTES_LIMIT = 20 * 1024 * 1024;
const MAX_IMAGES = 10;

export type ImageResponseFormat = 'url' | 'b64_json';

/** What the images pipelines need beyond the pipeline context: where files go and the base of their URLs. */
export interface ImageOutput {
  media: MediaStore;
  /** `http://host:port` as the client reached the gateway. */
  baseUrl: string;
}

/** Validated image-call options shared by generations and edits. */
export interface ImageOptions {
  model: string;
  n: number;
  responseFormat: ImageResponseFormat;
}

function imageOptions(body: JsonBody): ImageOptions {
  refuseStream(body);
  return {
    model: requireString(body, 'model'),
    n: optionalInt(body, 'n', 1, MAX_IMAGES) ?? 1,
    responseFormat: optionalEnum(body, 'response_format', ['url', 'b64_json']) ?? 'url',
  };
}

/**
 * gpt-image models always answer base64 and refuse a `response_format`; older ones (dall-e) answer a short-lived URL
 * unless asked for base64. The gateway wants the bytes either way, to store them or hand them over.
 */
function upstreamFormat(deployment: Deployment, model: string): { response_format?: 'b64_json' } {
  return /^gpt-image/i.test(deployment.deployment) || /^gpt-image/i.test(model) ? {} : { response_format: 'b64_json' };
}

/** `POST /images/generations`: hold `per_image × n`, capture `per_image ×` the images returned. */
export async function handleImageGeneration(ctx: PipelineContext, output: ImageOutput, principal: Principal, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = requireBody(req.body);
  const options = imageOptions(body);
  const prompt = requireString(body, 'prompt');
  const { response_format: _format, ...rest } = body;
  await runBilledCall(ctx, principal, req, reply, {
    endpoint: 'images.generations',
    modality: 'image',
    model: options.model,
    tokenEstimate: 0,
    hold: (model) => mediaHoldMicros({ images: options.n }, model.price),
    build: (provider, deployment, secret) =>
      provider.imageGenerations!({ deployment, secret, body: { ...rest, prompt, n: options.n, ...upstreamFormat(deployment, options.model) } }),
    settle: (res, call) => readImages(res, call, options, output, principal.accountId, reply),
  });
}

/** An edit: the client's text fields, its image(s) and optional mask, already read (multipart, URL or base64). */
export interface ImageEditInput {
  fields: Record<string, string | string[]>;
  images: UploadedFile[];
  mask?: UploadedFile;
}

/** `POST /images/edits`: re-encoded as multipart for the upstream; billed like generations. */
export async function handleImageEdit(ctx: PipelineContext, output: ImageOutput, principal: Principal, req: FastifyRequest, reply: FastifyReply, input: ImageEditInput): Promise<void> {
  const flat: JsonBody = Object.fromEntries(Object.entries(input.fields).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const options = imageOptions(flat);
  requireString(flat, 'prompt');
  if (input.images.length === 0) throw gatewayError('invalid_request', "'image' is required: a file, an image URL or image_base64.", { param: 'image' });
  const { response_format: _format, model: _model, n: _n, ...fields } = input.fields;
  // One image goes as `image` (every model); several as `image[]` (gpt-image-1 takes up to 16).
  const imageField = input.images.length === 1 ? 'image' : 'image[]';
  const files: UploadedFile[] = [
    ...input.images.map((f) => ({ ...f, field: imageField, contentType: typedAs(f) })),
    ...(input.mask ? [{ ...input.mask, field: 'mask', contentType: typedAs(input.mask) }] : []),
  ];
  await runBilledCall(ctx, principal, req, reply, {
    endpoint: 'images.edits',
    modality: 'image',
    model: options.model,
    tokenEstimate: 0,
    hold: (model) => mediaHoldMicros({ images: options.n }, model.price),
    build: (provider, deployment, secret) =>
      provider.imageEdits!({ deployment, secret, files, fields: { ...fields, n: String(options.n), ...upstreamFormat(deployment, options.model) } }),
    settle: (res, call) => readImages(res, call, options, output, principal.accountId, reply),
  });
}

/** Upstreams check the part's type: send what the bytes are rather than what the client's browser guessed. */
function typedAs(file: UploadedFile): string {
  const sniffed = sniffContentType(file.data);
  return sniffed === 'application/octet-stream' ? file.contentType || sniffed : sniffed;
}

interface ImagesAnswer {
  data?: unknown;
  [key: string]: unknown;
}

interface UpstreamImage {
  b64_json?: unknown;
  url?: unknown;
  revised_prompt?: unknown;
}

/** Reads the upstream images, stores or encodes them as the client asked, and bills the count returned. */
async function readImages(
  res: UpstreamResponse,
  call: CallState,
  options: ImageOptions,
  output: ImageOutput,
  accountId: string,
  reply: FastifyReply,
): Promise<Settlement> {
  const { json } = await readUpstreamJson<ImagesAnswer>(res, call);
  if (!Array.isArray(json?.data)) throw gatewayError('upstream_error', 'The upstream answered without images.');
  const items = json.data as UpstreamImage[];
  const data: Record<string, unknown>[] = [];
  for (const item of items) {
    const revised = typeof item?.revised_prompt === 'string' ? { revised_prompt: item.revised_prompt } : {};
    if (options.responseFormat === 'b64_json' && typeof item?.b64_json === 'string') {
      data.push({ b64_json: item.b64_json, ...revised });
      continue;
    }
    const bytes = await imageBytes(item);
    if (options.responseFormat === 'b64_json') {
      data.push({ b64_json: bytes.toString('base64'), ...revised });
    } else {
      const file = await output.media.save({ data: bytes, contentType: sniffContentType(bytes), accountId, requestId: call.id });
      data.push({ url: `${output.baseUrl}/files/${file.id}`, ...revised });
    }
  }
  const body = { ...json, created: typeof json.created === 'number' ? json.created : Math.floor(Date.now() / 1000), data };
  return {
    usage: { images: data.length },
    usageSource: 'upstream',
    send: async () => {
      await reply.code(200).header('content-type', 'application/json').send(JSON.stringify(body));
    },
  };
}

async function imageBytes(item: UpstreamImage): Promise<Buffer> {
  if (typeof item?.b64_json === 'string') return Buffer.from(item.b64_json, 'base64');
  if (typeof item?.url === 'string') {
    try {
      return (await fetchInputUrl(item.url, { maxBytes: IMAGE_BYTES_LIMIT, timeoutMs: DEFAULT_FETCH_TIMEOUT_MS, param: 'url' })).data;
    } catch {
      throw gatewayError('upstream_error', 'The image the upstream generated could not be downloaded.');
    }
  }
  throw gatewayError('upstream_error', 'The upstream answered an image without data.');
}
