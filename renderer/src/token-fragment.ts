/**
 * The sign-in link the CLI prints, `http://127.0.0.1:8081/#token=<token>`, carries the admin token
 * in the URL fragment, which browsers never send to a server. Pure.
 */

/**
 * Splits a `location.hash` into the token it carries (or null) and the hash to keep. Accepts
 * `#token=T` and `#token=T&next=/flags`; the kept hash is the `next` route or the dashboard.
 */
export function readTokenFragment(hash: string): { token: string | null; rest: string } {
  if (!hash.startsWith('#token=')) return { token: null, rest: hash };
  const params = new URLSearchParams(hash.slice(1));
  const token = params.get('token')?.trim() ?? '';
  const next = params.get('next') ?? '';
  const rest = next.startsWith('/') ? `#${next}` : '#/dashboard';
  return { token: token === '' ? null : token, rest };
}
