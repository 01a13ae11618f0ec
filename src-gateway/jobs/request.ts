import type { FastifyRequest } from 'fastify';
import { gatewayError } from '../errors.js';
import { resolveVideoSize, type JobKind } from '../domain/media-jobs.js';
import { decodeBase64Input, fetchInputUrl, DEFAULT_FETCH_TIMEOUT_MS, type InputFile } from '../media/fetch-input.js';
import { sniffContentType } from '../media/store.js';
import { optionalInt, requireBody, requireString, type JsonBody } from '../pipeline/media-request.js';
import { IMAGE_BYTES_LIMIT } from '../pipeline/images.js';
import { readMultipartForm } from '../routes/multipart-form.js';
import type { JobImage, JobParams } from './types.js';

/** A validated job request: the public model id, the parameters, and the input image of image-to-video. */
export interface JobRequest {
  model: string;
  params: JobParams;
  image?: JobImage;
}

const MAX_PROMPT_CHARS = 32_000;
/** Per-kind bounds of what a client may ask for; upstreams refuse what their model cannot do within them. */
const LIMITS: Record<JobKind, { defaultSeconds: number; maxSeconds: number; maxN: number }> = {
  video: { defaultSeconds: 4, maxSeconds: 60, maxN: 4 },
  music: { defaultSeconds: 30, maxSeconds: 600, maxN: 4 },
};
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp']);
const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/**
 * Reads `POST /videos/generations` or `/music/generations`: a JSON body, or (video) a multipart form with an `image`
 * file. Image-to-video also takes JSON `image_url` / `image` (a URL) or `image_base64`, fetched with the same limits as
 * image edits. Every problem is a 400 (or 413) naming the field.
 */
export async function readJobRequest(req: FastifyRequest, kind: JobKind): Promise<JobRequest> {
  let body: JsonBody;
  let image: InputFile | undefined;
  if (req.isMultipart()) {
    const form = await readMultipartForm(req, { maxFileBytes: IMAGE_BYTES_LIMIT, fileFields: kind === 'video' ? ['image'] : [] });
    body = Object.fromEntries(Object.entries(form.fields).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
    const file = form.files[0];
    if (file) image = { data: file.data, contentType: file.contentType, filename: file.filename };
  } else {
    body = requireBody(req.body);
  }
  const request = parseJobBody(body, kind);
  if (!image && kind === 'video') image = await jsonImage(body);
  if (image) request.image = asJobImage(image);
  request.params.hasImage = request.image !== undefined;
  return request;
}

/** The fields of a job request (JSON, or multipart text fields), without the image. */
export function parseJobBody(body: JsonBody, kind: JobKind): JobRequest {
  const limits = LIMITS[kind];
  const model = requireString(body, 'model');
  const prompt = requireString(body, 'prompt');
  if (prompt.length > MAX_PROMPT_CHARS) throw gatewayError('invalid_request', `'prompt' is longer than ${MAX_PROMPT_CHARS} characters.`, { param: 'prompt' });
  if (body.stream === true || body.stream === 'true') throw gatewayError('invalid_request', "'stream' is not supported on this endpoint.", { param: 'stream' });
  const params: JobParams = {
    prompt,
    durationSeconds: seconds(body.duration, limits.defaultSeconds, limits.maxSeconds),
    n: optionalInt(body, 'n', 1, limits.maxN) ?? 1,
    hasImage: false,
  };
  const negative = optionalText(body, 'negative_prompt');
  if (negative) params.negativePrompt = negative;
  if (kind === 'video') {
    const resolution = optionalText(body, 'resolution');
    const size = optionalText(body, 'size');
    try {
      Object.assign(params, resolveVideoSize({ resolution, size }));
    } catch (err) {
      const param = (err as Error).message === 'size' ? 'size' : 'resolution';
      const message = param === 'size' ? "'size' must be WIDTHxHEIGHT, e.g. 1280x720." : "'resolution' must be 480p, 720p or 1080p.";
      throw gatewayError('invalid_request', message, { param });
    }
    if (size) params.size = size.replace(/\s+/g, '').toLowerCase();
  } else {
    const lyrics = optionalText(body, 'lyrics');
    if (lyrics) params.lyrics = lyrics;
  }
  return { model, params };
}

/** `duration` in whole seconds: a number, or a numeric string (multipart fields, "4s"). */
function seconds(raw: unknown, fallback: number, max: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const text = typeof raw === 'string' ? raw.trim().replace(/s$/i, '') : raw;
  const value = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : text;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw gatewayError('invalid_request', `'duration' must be a whole number of seconds from 1 to ${max}.`, { param: 'duration' });
  }
  return value;
}

function optionalText(body: JsonBody, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw gatewayError('invalid_request', `'${name}' must be a string.`, { param: name });
  if (value.length > MAX_PROMPT_CHARS) throw gatewayError('invalid_request', `'${name}' is too long.`, { param: name });
  return value;
}

/** `image_url` or `image` (an http(s) or data: URL) or `image_base64` from a JSON body. */
async function jsonImage(body: JsonBody): Promise<InputFile | undefined> {
  for (const param of ['image_url', 'image']) {
    const value = body[param];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw gatewayError('invalid_request', `'${param}' must be an image URL.`, { param });
    return fetchInputUrl(value, { param, maxBytes: IMAGE_BYTES_LIMIT, timeoutMs: DEFAULT_FETCH_TIMEOUT_MS });
  }
  const b64 = body.image_base64;
  if (b64 === undefined || b64 === null) return undefined;
  if (typeof b64 !== 'string') throw gatewayError('invalid_request', "'image_base64' must be a base64 string.", { param: 'image_base64' });
  return decodeBase64Input(b64, { maxBytes: IMAGE_BYTES_LIMIT, param: 'image_base64' }, 'image');
}

/** Upstreams want a real PNG, JPEG or WebP, typed by its bytes (never by what the client's browser guessed). */
function asJobImage(input: InputFile): JobImage {
  const mimeType = sniffContentType(input.data);
  if (!IMAGE_TYPES.has(mimeType)) throw gatewayError('invalid_request', "'image' must be a PNG, JPEG or WebP image.", { param: 'image' });
  const stem = input.filename.replace(/\.[^.]*$/, '').replace(/[^\w.-]/g, '_').slice(0, 64) || 'image';
  return { data: input.data, mimeType, filename: `${stem}.${EXTENSIONS[mimeType]}` };
}
