import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { gatewayError } from '../errors.js';
import { decodeBase64Input, fetchInputUrl, DEFAULT_FETCH_TIMEOUT_MS, type InputFile } from '../media/fetch-input.js';
import { sniffContentType, type MediaStore } from '../media/store.js';
import { handleEmbeddings } from '../pipeline/embeddings.js';
import { handleRerank } from '../pipeline/rerank.js';
import { handleImageEdit, handleImageGeneration, IMAGE_BYTES_LIMIT, type ImageEditInput } from '../pipeline/images.js';
import { AUDIO_BYTES_LIMIT, handleSpeech, handleTranscription, type TranscriptionInput } from '../pipeline/audio.js';
import { requireBody, toFields, type JsonBody } from '../pipeline/media-request.js';
import type { PipelineContext, Principal } from '../pipeline/context.js';
import type { UploadedFile } from '../providers/types.js';
import { FORM_OVERHEAD_BYTES, readMultipartForm } from './multipart-form.js';

export interface MediaRouteOptions {
  ctx: PipelineContext;
  authenticate: (req: FastifyRequest) => Principal;
  media: MediaStore;
}

/** A JSON body carrying a file as base64 is 4/3 of the file, plus its other fields. */
const base64Body = (fileBytes: number) => Math.ceil((fileBytes * 4) / 3) + FORM_OVERHEAD_BYTES;
const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));

/**
 * Refuses a declared body over the route's limit before reading a byte of it, with the limit that applies (images
 * 20 MB, audio 25 MB) rather than the JSON one.
 */
function declaredSizeLimit(multipartBytes: number, jsonBytes: number, fileBytes: number) {
  return async (req: FastifyRequest): Promise<void> => {
    const declared = Number(req.headers['content-length']);
    if (!Number.isFinite(declared)) return;
    const limit = req.headers['content-type']?.startsWith('multipart/') ? multipartBytes : jsonBytes;
    if (declared > limit) throw gatewayError('payload_too_large', `The upload is larger than the ${mb(fileBytes)} MB limit.`);
  };
}

/** Embeddings, rerank, images and audio; registered under `/v1` and `/api/v1` like the other client routes. */
export async function mediaRoutes(app: FastifyInstance, options: MediaRouteOptions): Promise<void> {
  const { ctx, authenticate, media } = options;
  // Multipart only in this scope: every other route keeps the JSON-only parser.
  await app.register(multipart, { throwFileSizeLimit: true, limits: { fileSize: AUDIO_BYTES_LIMIT } });
  const output = (req: FastifyRequest) => ({ media, baseUrl: `${req.protocol}://${req.headers.host}` });

  app.post('/embeddings', async (req, reply) => {
    await handleEmbeddings(ctx, authenticate(req), req, reply);
    return reply;
  });

  app.post('/rerank', async (req, reply) => {
    await handleRerank(ctx, authenticate(req), req, reply);
    return reply;
  });

  app.post('/images/generations', async (req, reply) => {
    await handleImageGeneration(ctx, output(req), authenticate(req), req, reply);
    return reply;
  });

  app.post(
    '/images/edits',
    { bodyLimit: base64Body(IMAGE_BYTES_LIMIT), onRequest: declaredSizeLimit(IMAGE_BYTES_LIMIT + FORM_OVERHEAD_BYTES, base64Body(IMAGE_BYTES_LIMIT), IMAGE_BYTES_LIMIT) },
    async (req, reply) => {
      const principal = authenticate(req);
      await handleImageEdit(ctx, output(req), principal, req, reply, await imageEditInput(req));
      return reply;
    },
  );

  app.post('/audio/speech', async (req, reply) => {
    await handleSpeech(ctx, authenticate(req), req, reply);
    return reply;
  });

  app.post(
    '/audio/transcriptions',
    { bodyLimit: base64Body(AUDIO_BYTES_LIMIT), onRequest: declaredSizeLimit(AUDIO_BYTES_LIMIT + FORM_OVERHEAD_BYTES, base64Body(AUDIO_BYTES_LIMIT), AUDIO_BYTES_LIMIT) },
    async (req, reply) => {
      const principal = authenticate(req);
      await handleTranscription(ctx, principal, req, reply, await transcriptionInput(req));
      return reply;
    },
  );
}

/** `image` / `image[]` / `mask` files from a form, or `image` (URL, or URLs) / `image_base64` / `mask` / `mask_base64` from JSON. */
async function imageEditInput(req: FastifyRequest): Promise<ImageEditInput> {
  if (req.isMultipart()) {
    const form = await readMultipartForm(req, { maxFileBytes: IMAGE_BYTES_LIMIT, fileFields: ['image', 'image[]', 'mask'] });
    return { fields: form.fields, images: form.files.filter((f) => f.field !== 'mask'), mask: form.files.find((f) => f.field === 'mask') };
  }
  const body = requireBody(req.body);
  const images: UploadedFile[] = [];
  for (const url of listOf(body, 'image')) images.push(asUpload('image', await fetchInputUrl(url, fetchLimits('image', IMAGE_BYTES_LIMIT))));
  for (const b64 of listOf(body, 'image_base64')) images.push(asUpload('image', decodeBase64Input(b64, { maxBytes: IMAGE_BYTES_LIMIT, param: 'image_base64' }, 'image')));
  let mask: UploadedFile | undefined;
  if (typeof body.mask === 'string') mask = asUpload('mask', await fetchInputUrl(body.mask, fetchLimits('mask', IMAGE_BYTES_LIMIT)));
  else if (typeof body.mask_base64 === 'string') mask = asUpload('mask', decodeBase64Input(body.mask_base64, { maxBytes: IMAGE_BYTES_LIMIT, param: 'mask_base64' }, 'mask'));
  const total = images.reduce((sum, f) => sum + f.data.length, mask?.data.length ?? 0);
  if (total > IMAGE_BYTES_LIMIT) throw gatewayError('payload_too_large', `The images are larger than the ${mb(IMAGE_BYTES_LIMIT)} MB limit together.`, { param: 'image' });
  return { fields: toFields(body, ['image', 'image_base64', 'mask', 'mask_base64']), images, mask };
}

/** The `file` of a form, or `file_url` / `file_base64` (+ optional `filename`) from JSON. */
async function transcriptionInput(req: FastifyRequest): Promise<TranscriptionInput> {
  if (req.isMultipart()) {
    const form = await readMultipartForm(req, { maxFileBytes: AUDIO_BYTES_LIMIT, fileFields: ['file'] });
    const file = form.files[0];
    if (!file) throw gatewayError('invalid_request', "'file' is required: an audio file upload.", { param: 'file' });
    return { fields: form.fields, file };
  }
  const body = requireBody(req.body);
  let input: InputFile;
  if (typeof body.file_url === 'string') input = await fetchInputUrl(body.file_url, fetchLimits('file_url', AUDIO_BYTES_LIMIT));
  else if (typeof body.file_base64 === 'string') input = decodeBase64Input(body.file_base64, { maxBytes: AUDIO_BYTES_LIMIT, param: 'file_base64' });
  else throw gatewayError('invalid_request', "'file' is required: a multipart upload, 'file_url' or 'file_base64'.", { param: 'file' });
  const file = asUpload('file', input);
  if (typeof body.filename === 'string' && /^[\w.\- ]{1,128}$/.test(body.filename)) file.filename = body.filename;
  return { fields: toFields(body, ['file_url', 'file_base64', 'filename']), file };
}

const fetchLimits = (param: string, maxBytes: number) => ({ param, maxBytes, timeoutMs: DEFAULT_FETCH_TIMEOUT_MS });

function listOf(body: JsonBody, name: string): string[] {
  const value = body[name];
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v) => typeof v === 'string')) throw gatewayError('invalid_request', `'${name}' must be a string or an array of strings.`, { param: name });
  return list as string[];
}

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp', 'image/gif': 'gif', 'audio/wav': 'wav', 'audio/mpeg': 'mp3', 'audio/ogg': 'ogg', 'audio/flac': 'flac' };

/** Upstreams detect an audio format from the file name's extension: name fetched and base64 inputs after their bytes. */
function asUpload(field: string, input: InputFile): UploadedFile {
  const sniffed = sniffContentType(input.data);
  const type = sniffed === 'application/octet-stream' ? (input.contentType ?? sniffed) : sniffed;
  const ext = EXTENSIONS[sniffed];
  const stem = input.filename.replace(/\.[^.]*$/, '') || field;
  return { field, filename: ext ? `${stem}.${ext}` : input.filename, contentType: type, data: input.data };
}
