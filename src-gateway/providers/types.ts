import type { Deployment, ProviderId } from '../db/deployments-repository.js';
import type { IRResponse, StreamMapper } from '../protocols/ir.js';

/** The endpoints a provider may implement; closed so a contract test can loop over them. */
export type Endpoint = 'chat' | 'models';

/** A fully built upstream call: the provider decides URL, headers and body; the gateway sends it. */
export interface UpstreamCall {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface ChatCallInput {
  deployment: Deployment;
  secret: string;
  /** The OpenAI chat body, already shaped for the model family (model, reasoning, service tier, usage). */
  body: Record<string, unknown>;
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
  /** Native JSON answer → IR; absent when the upstream answers in OpenAI chat format. */
  chatResponse?(body: unknown, model: string): IRResponse;
  /** Native stream events → IR chunks; absent when the upstream streams OpenAI chat chunks. */
  chatStream?(model: string): StreamMapper;
  /** A cheap call that proves the deployment answers (used by `deployments test`). */
  probe?(input: Omit<ChatCallInput, 'body'>): UpstreamCall;
}
