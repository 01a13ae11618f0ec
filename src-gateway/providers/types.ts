import type { Deployment, ProviderId } from '../db/deployments-repository.js';
import type { IRResponse, StreamMapper } from '../protocols/ir.js';

/** The endpoints a provider may implement; closed so a contract test can loop over them. */
export type Endpoint = 'chat' | 'models' | 'embeddings' | 'rerank' | 'images.generations' | 'images.edits' | 'audio.speech' | 'audio.transcriptions';

/** A fully built upstream call: the provider decides URL, headers and body; the gateway sends it. */
export interface UpstreamCall {
  url: string;
  headers: Record<string, string>;
  /** JSON text, or encoded multipart bytes for file uploads. */
  body: string | Uint8Array;
}

export interface ChatCallInput {
  deployment: Deployment;
  secret: string;
  /** The OpenAI chat body, already shaped for the model family (model, reasoning, service tier, usage). */
  body: Record<string, unknown>;
  /** The catalog model's output cap, for upstreams that require one when the request sets none (Anthropic). */
  maxOutputTokens?: number | null;
}

/** A JSON call to a non-chat endpoint: the client's body, already validated (the provider sets the upstream model). */
export type JsonCallInput = Pick<ChatCallInput, 'deployment' | 'secret' | 'body'>;

/** One uploaded file, held in memory (uploads are capped at 20–25 MB). */
export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/** A multipart call: text fields (a repeated field is an array) and files, re-encoded for the upstream. */
export interface MultipartCallInput {
  deployment: Deployment;
  secret: string;
  fields: Record<string, string | string[]>;
  files: UploadedFile[];
}

/**
 * One upstream. Providers are pure transforms: they build the call and know nothing of billing, routing or HTTP
 * framework details.
 */
export interface Provider {
  readonly id: ProviderId;
  readonly endpoints: readonly Endpoint[];
  /** Builds the upstream call for an IR chat request (streaming or not, per `body.stream`). */
  chatCompletions?(input: ChatCallInput): UpstreamCall;
  /**
   * Adds credentials that need I/O (e.g. an OAuth access token minted from a service account) to a built call.
   * Absent when the secret goes on the call as is. A rejection means this deployment cannot be used right now.
   */
  authorize?(call: UpstreamCall, input: Omit<ChatCallInput, 'body'>): Promise<UpstreamCall>;
  /** Native JSON answer → IR; absent when the upstream answers in OpenAI chat format. */
  chatResponse?(body: unknown, model: string): IRResponse;
  /** Native stream events → IR chunks; absent when the upstream streams OpenAI chat chunks. */
  chatStream?(model: string): StreamMapper;
  /** `POST …/embeddings`: the OpenAI embeddings body. */
  embeddings?(input: JsonCallInput): UpstreamCall;
  /** `POST …/rerank` (Cohere/Jina shape: `{model, query, documents, top_n}`). */
  rerank?(input: JsonCallInput): UpstreamCall;
  /** `POST …/images/generations`: the OpenAI images body. */
  imageGenerations?(input: JsonCallInput): UpstreamCall;
  /** `POST …/images/edits`: multipart (`image`, `mask` files + fields). */
  imageEdits?(input: MultipartCallInput): UpstreamCall;
  /** `POST …/audio/speech`: JSON in, binary audio out. */
  audioSpeech?(input: JsonCallInput): UpstreamCall;
  /** `POST …/audio/transcriptions`: multipart (`file` + fields). */
  audioTranscriptions?(input: MultipartCallInput): UpstreamCall;
  /** A cheap call that proves the deployment answers (used by `deployments test`). */
  probe?(input: Omit<ChatCallInput, 'body'>): UpstreamCall;
}
