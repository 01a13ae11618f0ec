/**
 * Pure rules of asynchronous media jobs (video and music generation): what a job holds at submit, what it costs when
 * it ends, how often the runner polls the upstream, and how a requested size becomes pixels. No I/O.
 *
 * Pricing: a job is priced like any media call (`media-pricing.ts`), with two line items per generated clip — its
 * seconds × `per_second`, and one × `per_image` (a model priced "per job" sets `per_image`: one clip is one unit).
 * The hold covers the requested seconds of every requested clip; the capture counts the clips the upstream produced,
 * each at the duration the upstream reported for it, or the requested one when it reported none.
 */
import { mediaCostMicros, mediaHoldMicros, secondsToMilliseconds, type MediaPrice, type MediaUsage } from './media-pricing.js';

export type JobKind = 'video' | 'music';

/** What a client may see of a job's life. `expired`: completed, and its media deleted after the retention period. */
export type JobStatus = 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'expired';

/** What a job asks for, as far as billing is concerned. */
export interface JobQuantity {
  /** Requested seconds per clip. */
  durationSeconds: number;
  /** Clips requested. */
  n: number;
}

/** One produced clip: the seconds the upstream reported, or null when it reported none. */
export interface ProducedClip {
  seconds: number | null;
}

/** The usage a hold covers: every requested clip at its requested duration. */
export function jobHoldUsage(quantity: JobQuantity): MediaUsage {
  return { milliseconds: secondsToMilliseconds(quantity.durationSeconds) * quantity.n, images: quantity.n };
}

/** The usage of a finished job: each produced clip at its reported (else requested) duration. */
export function jobCostUsage(clips: readonly ProducedClip[], requestedSeconds: number): MediaUsage {
  let milliseconds = 0;
  for (const clip of clips) milliseconds += secondsToMilliseconds(clip.seconds ?? requestedSeconds);
  return { milliseconds, images: clips.length };
}

/** The hold of a job at submit, in micro-USD (rounded up). */
export function jobHoldMicros(quantity: JobQuantity, price: MediaPrice): number {
  return mediaHoldMicros(jobHoldUsage(quantity), price);
}

/** The cost of a finished job, in micro-USD (rounded half up once, on the total). */
export function jobCostMicros(clips: readonly ProducedClip[], requestedSeconds: number, price: MediaPrice): number {
  return mediaCostMicros(jobCostUsage(clips, requestedSeconds), price);
}

/**
 * Delay before the next poll of a job that has been polled `attempt` times: `baseMs × 2^attempt`, capped at `maxMs`
 * (1 s → 2 s → 4 s → 8 s → 15 s … with the defaults). Upstream jobs take tens of seconds to minutes; early polls
 * catch the fast ones, the cap keeps a long job from hammering the upstream's status endpoint.
 */
export function pollDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  if (!Number.isFinite(attempt) || attempt < 0) return baseMs;
  // 2^31 overflows nothing in floating point, but stop doubling once past the cap.
  const exponent = Math.min(Math.floor(attempt), 31);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}

/** `480p` / `720p` / `1080p`: the landscape frame each names. */
export const VIDEO_RESOLUTIONS: Readonly<Record<string, { width: number; height: number }>> = {
  '480p': { width: 854, height: 480 },
  '720p': { width: 1280, height: 720 },
  '1080p': { width: 1920, height: 1080 },
};

export const DEFAULT_VIDEO_RESOLUTION = '720p';

/** A video frame size: pixels, and the `NNNp` name clients see. */
export interface VideoSize {
  width: number;
  height: number;
  /** `720p` for 1280×720 and for 720×1280 (the short side). */
  resolution: string;
}

/**
 * The frame of a video request from `resolution` ("720p") or `size` ("1280x720"; either orientation). Throws a
 * RangeError naming the field when neither is usable; neither given means 720p.
 */
export function resolveVideoSize(input: { resolution?: string; size?: string }): VideoSize {
  if (input.size !== undefined) {
    const match = /^\s*(\d{2,5})\s*[xX×*]\s*(\d{2,5})\s*$/.exec(input.size);
    const width = Number(match?.[1]);
    const height = Number(match?.[2]);
    if (!match || width < 64 || height < 64 || width > 8192 || height > 8192) throw new RangeError('size');
    return { width, height, resolution: `${Math.min(width, height)}p` };
  }
  const name = (input.resolution ?? DEFAULT_VIDEO_RESOLUTION).trim().toLowerCase();
  const frame = VIDEO_RESOLUTIONS[name];
  if (!frame) throw new RangeError('resolution');
  return { ...frame, resolution: name };
}

/** The nearest aspect ratio Veo-style upstreams accept ("16:9" or "9:16") for a frame. */
export function aspectRatioOf(size: { width: number; height: number }): '16:9' | '9:16' {
  return size.height > size.width ? '9:16' : '16:9';
}

/**
 * A human hint of the wait, as the job answer carries it ("30-90s"). Generation time grows with the seconds and clips
 * asked for; the figures are typical upstream times, not a promise.
 */
export function estimatedWait(kind: JobKind, quantity: JobQuantity): string {
  const work = quantity.durationSeconds * quantity.n;
  const low = kind === 'video' ? 20 + 3 * work : 10 + Math.ceil(work / 6);
  const high = low * 3;
  return `${roundTo(low, 5)}-${roundTo(high, 5)}s`;
}

const roundTo = (value: number, step: number) => Math.max(step, Math.round(value / step) * step);

/** Retention of job media, in days, from the `media_retention_days` setting: default 30; 0 (or less) keeps forever. */
export function retentionDays(setting: string | undefined): number {
  if (setting === undefined || setting.trim() === '') return DEFAULT_RETENTION_DAYS;
  const days = Number(setting);
  if (!Number.isFinite(days)) return DEFAULT_RETENTION_DAYS;
  return Math.max(0, days);
}

export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

/** Completed jobs finished before this instant have outlived the retention period; undefined when nothing expires. */
export function retentionCutoff(now: number, days: number): number | undefined {
  return days > 0 ? now - Math.round(days * DAY_MS) : undefined;
}
