/**
 * The one error catalogue of the gateway. Every route throws a `GatewayError` made by `gatewayError(code, …)`;
 * the protocol of the route decides the JSON shape (OpenAI, Anthropic or Google) so each SDK raises its own typed error.
 */

export interface ErrorSpec {
  readonly status: number;
  /** OpenAI-style `error.type`. */
  readonly type: string;
  readonly message: string;
}

export const ERROR_CATALOGUE = {
  invalid_request: { status: 400, type: 'invalid_request_error', message: 'The request is invalid.' },
  invalid_api_key: { status: 401, type: 'authentication_error', message: 'Missing, unknown or revoked API key.' },
  invalid_signature: { status: 401, type: 'authentication_error', message: 'The request signature is missing or invalid.' },
  signature_expired: { status: 401, type: 'authentication_error', message: 'The request timestamp is too far from the server time.' },
  insufficient_balance: { status: 402, type: 'insufficient_quota', message: 'Wallet balance is not enough for this request.' },
  model_not_allowed: { status: 403, type: 'permission_error', message: 'This key is not allowed to use this model.' },
  forbidden: { status: 403, type: 'permission_error', message: 'This operation is not allowed with these credentials.' },
  invalid_host: { status: 403, type: 'permission_error', message: 'The Host header is not an allowed name.' },
  model_not_found: { status: 404, type: 'invalid_request_error', message: 'No enabled model with this id.' },
  not_found: { status: 404, type: 'not_found_error', message: 'Not found.' },
  payload_too_large: { status: 413, type: 'invalid_request_error', message: 'The request body is too large.' },
  rate_limited: { status: 429, type: 'rate_limit_error', message: 'Developer key exceeded rate limits.' },
  upstream_error: { status: 502, type: 'api_error', message: 'Upstream or internal processing failure.' },
  no_healthy_deployment: { status: 503, type: 'api_error', message: 'No healthy Azure deployment available.' },
  upstream_timeout: { status: 504, type: 'api_error', message: 'The upstream did not answer in time.' },
  internal_error: { status: 500, type: 'api_error', message: 'Upstream or internal processing failure.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  /** Extra response headers, e.g. `Retry-After` on 429. */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, options: { param?: string | null; headers?: Record<string, string>; status?: number } = {}) {
    const spec: ErrorSpec = ERROR_CATALOGUE[code];
    super(message ?? spec.message);
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? spec.status;
    this.type = spec.type;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }
}

/** Creates a typed gateway error from the catalogue. */
export function gatewayError(code: ErrorCode, message?: string, options?: { param?: string | null; headers?: Record<string, string>; status?: number }): GatewayError {
  return new GatewayError(code, message, options);
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

export type ErrorProtocol = 'openai' | 'anthropic' | 'google';

/** OpenAI shape: `{"error":{"message","type","code","param"}}`. */
export function openAiErrorBody(err: GatewayError): object {
  return { error: { message: err.message, type: err.type, code: err.code, param: err.param } };
}

const ANTHROPIC_TYPES: Partial<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'api_error',
};

/** Anthropic shape: `{"type":"error","error":{"type","message"}}`. */
export function anthropicErrorBody(err: GatewayError): object {
  return { type: 'error', error: { type: ANTHROPIC_TYPES[err.status] ?? 'api_error', message: err.message } };
}

const GOOGLE_STATUS: Partial<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  402: 'RESOURCE_EXHAUSTED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google shape: `{"error":{"code","message","status"}}`. */
export function googleErrorBody(err: GatewayError): object {
  return { error: { code: err.status, message: err.message, status: GOOGLE_STATUS[err.status] ?? 'INTERNAL' } };
}

export function errorBody(err: GatewayError, protocol: ErrorProtocol): object {
  if (protocol === 'anthropic') return anthropicErrorBody(err);
  if (protocol === 'google') return googleErrorBody(err);
  return openAiErrorBody(err);
}
