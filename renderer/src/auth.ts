/**
 * Operator sessions. The admin token is exchanged once for an HttpOnly, SameSite=Strict session
 * cookie (`POST /api/session`); the UI never keeps the token — not in storage, not in links —
 * and every later call, EventSource included, relies on the cookie.
 */
import { ApiError, failureOf, send } from './api.js';
import { readTokenFragment } from './token-fragment.js';

/**
 * Takes the token out of a `#token=…` sign-in link and removes it from the address bar and the
 * history entry at once, before any request is made. Returns null when the URL carries none.
 */
export function takeTokenFromUrl(): string | null {
  const { token, rest } = readTokenFragment(location.hash);
  if (token !== null) history.replaceState(null, '', `${location.pathname}${location.search}${rest}`);
  return token;
}

/**
 * Exchanges the admin token for a session cookie. Throws an {@link ApiError} with the server's
 * message when the token is wrong (401) or the server refuses.
 */
export async function createSession(token: string): Promise<void> {
  let response: Response;
  try {
    // Not through api.send: a 401 here is a wrong token, not an expired session.
    response = await fetch('/api/session', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, `Cannot reach ipwarden at ${location.origin}. Is it running?`);
  }
  if (response.ok) return;
  if (response.status === 401) {
    throw new ApiError(
      401,
      'That token was not accepted. Copy it again from the data directory’s admin-token file.',
    );
  }
  throw await failureOf(response);
}

/** Ends the session: the server clears the cookie. */
export async function endSession(): Promise<void> {
  await send('POST', '/api/session/logout');
}

/**
 * A sign-in link opened in a tab that already shows the UI only changes the hash; reload so the
 * token is taken (and removed from the address bar) exactly as on a fresh load.
 */
export function reloadOnSignInLink(): void {
  window.addEventListener('hashchange', () => {
    if (readTokenFragment(location.hash).token !== null) location.reload();
  });
}
