import type { Deployment } from '../../db/deployments-repository.js';
import type { ChatCallInput, Provider, UpstreamCall } from '../types.js';
import { geminiAction } from '../gemini/api.js';
import { toGeminiRequest } from '../gemini/request.js';
import { fromGeminiResponse, geminiStreamMapper } from '../gemini/response.js';
import { parseServiceAccount, vertexAccessToken } from './access-token.js';

/** Location used when neither `options.location` nor the deployment's region names one. */
export const DEFAULT_VERTEX_LOCATION = 'us-central1';

const option = (deployment: Deployment, name: string): string | undefined => {
  const value = deployment.options?.[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
};

/** Where a Vertex deployment lives: project from `options.project` (else the key's `project_id`), location from `options.location` (else the region). */
export function vertexTarget(deployment: Deployment, secret: string): { project: string | undefined; location: string } {
  return {
    project: option(deployment, 'project') ?? parseServiceAccount(secret)?.project_id,
    location: option(deployment, 'location') ?? deployment.region ?? DEFAULT_VERTEX_LOCATION,
  };
}

/**
 * `https://{region}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:…`.
 * The endpoint may be given with a literal `{region}` (filled from the location; the `global` location has no regional
 * host) or, as the console shows it, already regional.
 */
export function vertexChatUrl(endpoint: string, project: string, location: string, model: string, stream: unknown): string {
  let base = (endpoint || 'https://{region}-aiplatform.googleapis.com').replace(/\/+$/, '').replace(/\/v1$/, '');
  base = location === 'global' ? base.replace('{region}-', '') : base.replace('{region}', location);
  const path = `projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/google/models/${encodeURIComponent(model)}`;
  return `${base}/v1/${path}:${geminiAction(stream)}`;
}

function chatCompletions({ deployment, secret, body }: ChatCallInput): UpstreamCall {
  const { project, location } = vertexTarget(deployment, secret);
  return {
    // A missing project is reported by `authorize`, which runs before anything is sent.
    url: vertexChatUrl(deployment.endpoint, project ?? '', location, deployment.deployment, body.stream),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(toGeminiRequest(body, deployment.deployment)),
  };
}

async function authorize(call: UpstreamCall, { deployment, secret }: Omit<ChatCallInput, 'body'>): Promise<UpstreamCall> {
  if (!vertexTarget(deployment, secret).project) {
    throw new Error('no project: set options.project on the deployment or use a service-account key with project_id');
  }
  const token = await vertexAccessToken(deployment.id, secret);
  return { ...call, headers: { ...call.headers, authorization: `Bearer ${token}` } };
}

/** Vertex AI's Gemini models (`provider: "vertex"`): the Gemini body, a project-scoped URL, OAuth from a service account. */
export const vertexProvider: Provider = {
  id: 'vertex',
  endpoints: ['chat'],
  chatCompletions,
  authorize,
  chatResponse: fromGeminiResponse,
  chatStream: geminiStreamMapper,
  probe: ({ deployment, secret }) =>
    chatCompletions({ deployment, secret, body: { messages: [{ role: 'user', content: 'ping' }], max_tokens: 1, stream: false } }),
};
