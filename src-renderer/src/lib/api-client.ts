import { useSessionStore } from '../stores/session-store';

/** A non-2xx reply from the gateway, with the message from its error body when it sent one. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof body.error === 'string') return body.error;
    if (typeof body.error?.message === 'string') return body.error.message;
    if (typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `${response.status} ${response.statusText}`.trim();
}

/**
 * GETs a JSON resource from the gateway with the session's admin token. A 401 in the web console signs the
 * user out (the token was wrong or rotated); the desktop token comes from the app and is not re-asked.
 */
export async function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  const { session, signOut } = useSessionStore.getState();
  if (session.status !== 'signed-in') throw new ApiError(401, 'Not signed in');
  const response = await fetch(new URL(path, session.apiBase), {
    headers: { Accept: 'application/json', Authorization: `Bearer ${session.token}` },
    signal,
  });
  if (!response.ok) {
    const error = new ApiError(response.status, await errorMessage(response));
    if (response.status === 401 && session.mode === 'browser') signOut('The admin token was not accepted.');
    throw error;
  }
  return (await response.json()) as T;
}
