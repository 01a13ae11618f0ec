import { useSessionStore } from '../stores/session-store';

/** A non-2xx reply from the gateway, with the message (and catalogue code) from its error body when it sent one. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** One page of a gateway listing (`{object:"list", data, has_more, next_cursor}`); non-paginated lists omit the cursor. */
export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more?: boolean;
  next_cursor?: string | null;
}

async function toApiError(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`.trim();
  let code: string | undefined;
  try {
    const body = (await response.json()) as { error?: { message?: unknown; code?: unknown } | string; message?: unknown };
    if (typeof body.error === 'string') message = body.error;
    else if (typeof body.error?.message === 'string') message = body.error.message;
    else if (typeof body.message === 'string') message = body.message;
    if (typeof body.error === 'object' && typeof body.error?.code === 'string') code = body.error.code;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(response.status, message, code);
}

function signedInSession() {
  const { session } = useSessionStore.getState();
  if (session.status !== 'signed-in') throw new ApiError(401, 'Not signed in');
  return session;
}

/** The gateway origin of this session, e.g. `http://127.0.0.1:7878`. */
export function gatewayOrigin(): string {
  return signedInSession().apiBase;
}

/** An absolute URL on the gateway for `path` (e.g. a `/files/{id}` link). */
export function gatewayUrl(path: string): string {
  return new URL(path, signedInSession().apiBase).toString();
}

/**
 * Calls the gateway with the session's admin token and returns the raw response when it is 2xx. A 401 in the web
 * console signs the user out (the token was wrong or rotated); the desktop token comes from the app and is not re-asked.
 */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const session = signedInSession();
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${session.token}`);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  const response = await fetch(new URL(path, session.apiBase), { ...init, headers });
  if (!response.ok) {
    const error = await toApiError(response);
    if (response.status === 401 && session.mode === 'browser') useSessionStore.getState().signOut('The admin token was not accepted.');
    throw error;
  }
  return response;
}

/** GETs a JSON resource. */
export async function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await apiFetch(path, { signal });
  return (await response.json()) as T;
}

/** Sends a JSON body (POST, PATCH, DELETE) and returns the JSON answer. */
export async function apiSend<T>(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const response = await apiFetch(path, {
    method,
    signal,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Builds `path?query` from the defined, non-empty values of `params`. */
export function withQuery(path: string, params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const query = search.toString();
  return query ? `${path}?${query}` : path;
}

/** A readable message for any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
