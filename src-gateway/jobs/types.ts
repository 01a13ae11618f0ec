import type { Deployment, ProviderId } from '../db/deployments-repository.js';
import type { JobKind } from '../domain/media-jobs.js';

/**
 * The one interface every asynchronous media upstream implements (Azure OpenAI video jobs, Veo long-running
 * operations, OpenAI-compatible music jobs, and Lyria's synchronous predict call, which ends its job at submit). Like
 * the chat providers these are pure transforms: each method builds an HTTP call or reads an answer; the runner sends
 * the calls, keeps the state and does the billing.
 */

/** A fully built upstream call. Unlike chat calls these may be GET or DELETE (polls, downloads, cancels). */
export interface JobCall {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** JSON text or encoded multipart bytes; absent on GET / DELETE. */
  body?: string | Uint8Array;
}

/** The deployment a job runs on and its secret from the vault. */
export interface JobTarget {
  deployment: Deployment;
  secret: string;
}

/** What a client asked for, validated. Persisted (as JSON) with the job: it holds no secrets and no input bytes. */
export interface JobParams {
  prompt: string;
  /** Requested seconds per clip. */
  durationSeconds: number;
  /** Clips requested. */
  n: number;
  /** Video only: frame size. */
  width?: number;
  height?: number;
  /** Video only: `720p`, or the short side of `size`. */
  resolution?: string;
  /** Video only: the client's `size` when it gave one ("1280x720"). */
  size?: string;
  negativePrompt?: string;
  /** Music only: lyrics for vocal tracks, where the upstream takes them. */
  lyrics?: string;
  /** Whether an input image was sent (image-to-video); the bytes themselves are not kept. */
  hasImage: boolean;
}

/** An input image (image-to-video), in memory for the create call only. */
export interface JobImage {
  data: Buffer;
  mimeType: string;
  filename: string;
}

/** One produced clip: where to fetch its bytes, and the seconds the upstream reported for it (if any). */
export interface JobOutput {
  /** An absolute URL to download (with the provider's credentials where they belong). */
  url?: string;
  /** The bytes inline, base64-encoded (Vertex answers small videos this way). */
  base64?: string;
  seconds?: number | null;
}

/** An upstream job's state as the gateway understands it. */
export type JobState =
  | { state: 'queued' | 'in_progress'; upstreamStatus: string; progress?: number | null }
  | { state: 'completed'; upstreamStatus: string; outputs: JobOutput[] }
  | { state: 'failed'; upstreamStatus: string; error: string }
  | { state: 'cancelled'; upstreamStatus: string };

/** The end of a job as a synchronous upstream answers it. */
export type FinishedJobState = Extract<JobState, { state: 'completed' | 'failed' }>;

/** An answer the provider cannot read: the runner treats it as a transient upstream fault. */
export class UpstreamAnswerError extends Error {
  override name = 'UpstreamAnswerError';
}

/** One asynchronous media upstream. */
export interface JobProvider {
  readonly id: ProviderId;
  /** The job kinds this provider runs. */
  readonly kinds: readonly JobKind[];
  /** Builds the call that submits a job. */
  create(target: JobTarget, kind: JobKind, params: JobParams, image?: JobImage): JobCall;
  /** The upstream's id (job id, operation name) from its answer to `create`; throws UpstreamAnswerError without one. */
  created(body: unknown): string;
  /**
   * Synchronous upstreams only (one call makes the media): reads the answer to `create`, which already is the job's end
   * — the media inline, or why none was made. Such a job is settled at submit (media stored, cost captured or hold
   * released) and never polled, so `created`, `poll` and `status` are not used. Throws UpstreamAnswerError when the
   * answer cannot be read; it is then failed over like a 5xx.
   */
  finished?(body: unknown): FinishedJobState;
  /** Builds the call that reads a job's state. */
  poll(target: JobTarget, upstreamId: string): JobCall;
  /** Reads the answer to `poll`; throws UpstreamAnswerError when it cannot. */
  status(body: unknown, target: JobTarget, upstreamId: string): JobState;
  /** Builds the call that downloads an output given by URL (with credentials only where they belong). */
  download(target: JobTarget, output: JobOutput): JobCall;
  /** Builds the call that cancels a running job; absent when the upstream cannot cancel. */
  cancel?(target: JobTarget, upstreamId: string): JobCall;
  /** Adds credentials that need I/O (OAuth tokens); a rejection means the deployment cannot be used now. */
  authorize?(call: JobCall, target: JobTarget): Promise<JobCall>;
}

/** A JSON body's field as a finite number, or undefined. */
export function numberField(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** A JSON value as a plain object, or an empty one. */
export function objectOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** True when `url` is on the same origin as `base`: credentials go only to the upstream they belong to. */
export function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}
