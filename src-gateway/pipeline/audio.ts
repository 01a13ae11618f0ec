import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { gatewayError } from '../errors.js';
import type { Deployment } from '../db/deployments-repository.js';
import { audioDurationBound, wavDurationSeconds } from '../domain/audio-duration.js';
import { countTextTokens } from '../domain/token-estimate.js';
import { mediaHoldMicros, secondsToMilliseconds, speechHoldCharacters } from '../domain/media-pricing.js';
import { parseVerboseTranscript, renderTranscript, TRANSCRIPTION_FORMATS, type TranscriptionFormat } from '../protocols/transcription-formats.js';
import type { UploadedFile } from '../providers/types.js';
import { runBilledCall, readUpstreamBody, type Settlement } from './billed-call.js';
import { optionalEnum, refuseStream, requireBody, requireString, type JsonBody } from './media-request.js';
import type { PipelineContext, Principal } from './context.js';

/** The Content-Type of each speech `response_format`, for upstreams that send none (mp3 is the API's default). */
const SPEECH_TYPES: Record<string, string> = { mp3: 'audio/mpeg', opus: 'audio/opus', aac: 'audio/aac', flac: 'audio/flac', wav: 'audio/wav', pcm: 'audio/pcm' };

/**
 * Upper bounds for a transcription billed by tokens (gpt-4o-transcribe), per second of the duration bound: audio
 * tokens in, and text tokens out (speech runs at ~2–3 words a second; 10 tokens is past any speaker), plus a margin.
 */
const AUDIO_TOKENS_PER_SECOND_BOUND = 20;
const TEXT_TOKENS_PER_SECOND_BOUND = 10;
const TEXT_TOKENS_MARGIN = 32;

/** Contract: audio uploads are at most 25 MB. */
export const AUDIO_BYTES_LIMIT = 25 * 1024 * 1024;

/**
 * `POST /audio/speech`: hold `per_1k_chars × ceil(chars / 1000)`, then stream the upstream's audio bytes to the client
 * as they arrive, with the upstream's Content-Type, and capture the characters of the input.
 */
export async function handleSpeech(ctx: PipelineContext, principal: Principal, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = requireBody(req.body);
  const model = requireString(body, 'model');
  const input = requireString(body, 'input');
  requireString(body, 'voice');
  // Billed per character as users count them: code points, not UTF-16 units.
  const characters = [...input].length;
  await runBilledCall(ctx, principal, req, reply, {
    endpoint: 'audio.speech',
    modality: 'audio',
    model,
    stream: true,
    tokenEstimate: 0,
    hold: (m) => mediaHoldMicros({ characters: speechHoldCharacters(characters) }, m.price),
    build: (provider, deployment, secret) => provider.audioSpeech!({ deployment, secret, body }),
    async settle(res, call): Promise<Settlement> {
      const upstreamType = res.headers['content-type'];
      reply.hijack();
      const raw = reply.raw;
      // Hijacked: the headers Fastify holds (request id, CORS, rate limits) must be written by hand.
      const contentType = typeof upstreamType === 'string' ? upstreamType : (SPEECH_TYPES[typeof body.response_format === 'string' ? body.response_format : 'mp3'] ?? 'application/octet-stream');
      raw.writeHead(200, { ...(reply.getHeaders() as OutgoingHttpHeaders), 'content-type': contentType, 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      raw.flushHeaders();
      let ttftMs: number | null = null;
      let failed = false;
      try {
        for await (const chunk of res.body) {
          ttftMs ??= call.elapsed();
          if (!raw.write(chunk)) await drained(raw);
          if (raw.destroyed) break;
        }
      } catch {
        failed = !call.clientGone;
      }
      if (call.clientGone || raw.destroyed) {
        res.body.destroy();
        // The upstream bills the whole input once it accepted it, whether or not the client listened to the end.
        return { usage: { characters }, usageSource: 'local', ttftMs, outcome: { status: 'cancelled', httpStatus: 499, errorCode: 'client_closed', errorMessage: 'The client closed the connection.' } };
      }
      if (failed) {
        // Binary audio has no error frame: a torn connection is how the client learns the stream broke.
        return {
          usage: {},
          usageSource: 'local',
          ttftMs,
          outcome: { status: 'error', httpStatus: 200, errorCode: 'upstream_error', errorMessage: 'The upstream audio stream ended before it was complete.' },
          send: async () => void raw.destroy(),
        };
      }
      return { usage: { characters }, usageSource: 'local', ttftMs, send: async () => void raw.end() };
    },
  });
}

function drained(raw: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
}

/** A transcription: the client's text fields and its audio file, already read (multipart, URL or base64). */
export interface TranscriptionInput {
  fields: Record<string, string | string[]>;
  file: UploadedFile;
}

/**
 * gpt-4o(-mini)-transcribe answer only json and text: they cannot be asked for verbose_json. They are asked for json,
 * whose usage counts tokens, and the client's format is made locally from its text.
 */
function verboseCapable(deployment: Deployment, model: string): boolean {
  return !/transcribe/i.test(deployment.deployment) && !/transcribe/i.test(model);
}

/**
 * `POST /audio/transcriptions`: hold the cost of an upper bound of the duration (the WAV header's, or the size at a
 * conservative bitrate, capped), by the second or, for models priced by tokens, in tokens; ask the upstream for
 * `verbose_json` (json of the models that have no other); capture what it reports — its `duration`, or its tokens at
 * the model's token prices — else the WAV header's duration, else the bound; answer in the client's format, converted
 * locally.
 */
export async function handleTranscription(ctx: PipelineContext, principal: Principal, req: FastifyRequest, reply: FastifyReply, input: TranscriptionInput): Promise<void> {
  const flat: JsonBody = requireBody(Object.fromEntries(Object.entries(input.fields).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])));
  refuseStream(flat);
  const model = requireString(flat, 'model');
  const format: TranscriptionFormat = optionalEnum(flat, 'response_format', TRANSCRIPTION_FORMATS) ?? 'json';
  const bound = audioDurationBound(input.file.data);
  const { model: _model, response_format: _format, stream: _stream, ...fields } = input.fields;
  const file: UploadedFile = { ...input.file, field: 'file' };
  await runBilledCall(ctx, principal, req, reply, {
    endpoint: 'audio.transcriptions',
    modality: 'audio',
    model,
    tokenEstimate: 0,
    // The larger of what the bound costs by the second and by tokens: the answer may report either.
    hold: (m) =>
      Math.max(
        mediaHoldMicros({ milliseconds: bound.seconds * 1000 }, m.price),
        mediaHoldMicros(
          {
            inputTokens: bound.seconds * AUDIO_TOKENS_PER_SECOND_BOUND + (typeof flat.prompt === 'string' ? countTextTokens(flat.prompt) : 0),
            outputTokens: bound.seconds * TEXT_TOKENS_PER_SECOND_BOUND + TEXT_TOKENS_MARGIN,
          },
          m.price,
        ),
      ),
    build: (provider, deployment, secret) =>
      provider.audioTranscriptions!({ deployment, secret, files: [file], fields: { ...fields, response_format: verboseCapable(deployment, model) ? 'verbose_json' : 'json' } }),
    async settle(res, call): Promise<Settlement> {
      const text = (await readUpstreamBody(res, call)).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const transcript = parseVerboseTranscript(parsed);
      if (!transcript) throw gatewayError('upstream_error', 'The upstream answered with something the gateway cannot read.');
      const verbose = verboseCapable(call.deployment, model);
      const reported = verbose ? transcript.duration : reportedSeconds(parsed);
      const tokens = verbose ? undefined : reportedTokens(parsed);
      const price = call.model.price;
      const byTokens = tokens !== undefined && (price.inputPerMtokMicros !== null || price.outputPerMtokMicros !== null);
      const duration = reported ?? wavDurationSeconds(input.file.data);
      // A json answer is the client's as the upstream wrote it; the other formats are made from its text.
      const rendered =
        !verbose && format === 'json'
          ? { contentType: 'application/json', body: text }
          : renderTranscript({ ...(verbose ? transcript : { task: 'transcribe', text: transcript.text }), ...(duration === undefined ? {} : { duration }) }, format);
      return {
        usage: byTokens ? tokens : { milliseconds: duration === undefined ? bound.seconds * 1000 : secondsToMilliseconds(duration) },
        usageSource: byTokens || reported !== undefined ? 'upstream' : 'local',
        send: async () => {
          await reply.code(200).header('content-type', rendered.contentType).send(rendered.body);
        },
      };
    },
  });
}

/** `duration`, or `usage.seconds` of `{type:"duration"}` usage, from a JSON answer. */
function reportedSeconds(json: unknown): number | undefined {
  const answer = json as { duration?: unknown; usage?: { type?: unknown; seconds?: unknown } };
  const seconds = answer.duration ?? (answer.usage?.type === 'duration' ? answer.usage.seconds : undefined);
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** The input and output tokens of `{type:"tokens"}` usage (gpt-4o-transcribe's json), from a JSON answer. */
function reportedTokens(json: unknown): { inputTokens: number; outputTokens: number } | undefined {
  const usage = (json as { usage?: { type?: unknown; input_tokens?: unknown; output_tokens?: unknown } }).usage;
  if (usage?.type !== 'tokens') return undefined;
  const whole = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  return whole(usage.input_tokens) && whole(usage.output_tokens) ? { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens } : undefined;
}
