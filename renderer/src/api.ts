/**
 * The admin API client: same-origin fetch with the session cookie, JSON in and out, and one place
 * that turns failures into {@link ApiError}s whose message is fit to show the operator.
 */

/** A failed API call. `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let unauthorized: (() => void) | undefined;

/** Registers what happens on any 401 (the sign-in form is shown). */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

/** True for errors the views need not show: aborted calls and 401s (the sign-in form is up). */
export function isQuiet(error: unknown): boolean {
  return (
    (error instanceof DOMException && error.name === 'AbortError') ||
    (error instanceof ApiError && error.status === 401)
  );
}

/** The operator-facing message of any error. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Reads the `{ error: { message } }` body of a failed response, falling back to the status line. */
export async function failureOf(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText || 'error'}`.trim();
  try {
    const body = (await response.json()) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not JSON (a proxy's error page): the status line stands.
  }
  if (response.status === 401) unauthorized?.();
  return new ApiError(response.status, message);
}

/** Who the audit trail names for decisions made here (the admin API's `X-Ipwarden-Actor`). */
const ACTOR = 'admin-ui';

/** Sends one request; resolves to the raw response when it is 2xx. */
export async function send(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (method !== 'GET') headers['x-ipwarden-actor'] = ACTOR;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, `Cannot reach ipwarden at ${location.origin}. Is it running?`);
  }
  if (!response.ok) throw await failureOf(response);
  return response;
}

async function json<T>(method: string, path: string, options?: CallOptions): Promise<T> {
  const response = await send(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** `GET path` → parsed JSON. */
export function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return json<T>('GET', path, { signal });
}

/** `POST path` with an optional JSON body → parsed JSON (undefined for 204). */
export function post<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  return json<T>('POST', path, { body, signal });
}

/** `PUT path` with a JSON body → parsed JSON. */
export function put<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return json<T>('PUT', path, { body, signal });
}

/** `DELETE path` → parsed JSON (undefined for 204). */
export function del<T>(path: string, signal?: AbortSignal): Promise<T> {
  return json<T>('DELETE', path, { signal });
}

/**
 * `POST path` with a file as the raw body (an import upload, streamed by the browser) → parsed
 * JSON. Non-2xx answers reject with the server's message, like every other call.
 */
export async function upload<T>(path: string, file: Blob, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/octet-stream',
        'x-ipwarden-actor': ACTOR,
      },
      body: file,
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, `Cannot reach ipwarden at ${location.origin}. Is it running?`);
  }
  if (!response.ok) throw await failureOf(response);
  return (await response.json()) as T;
}
