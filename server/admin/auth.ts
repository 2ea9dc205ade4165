import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context, Next } from 'koa';
import type { HostCheck } from './admin-hosts.js';
import { ApiError } from './api-error.js';

/** Path of the admin token file inside the data dir. */
export function adminTokenPath(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

/**
 * Returns the admin token, creating `<dataDir>/admin-token` (256 random bits, mode 0600) on first start.
 * @throws the fs error when the file cannot be read or created.
 */
export async function ensureAdminToken(dataDir: string): Promise<string> {
  const file = adminTokenPath(dataDir);
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token.length >= 32) {
      await chmod(file, 0o600);
      return token;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'w' });
  await chmod(file, 0o600);
  return token;
}

/** Compares secrets in constant time (hashing first so lengths never leak). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export interface AdminGuardOptions {
  token: string;
  /** Whether a Host header value (`127.0.0.1:8081`, `localhost:8081` …) names the admin server. */
  hostAllowed: HostCheck;
  /** Receives the remote address (IPv4-mapped unwrapped) of each authenticated `/api` request. */
  onAuthenticated?: (ip: string) => void;
}

/**
 * Whether `path` is under the admin API, in any letter case: the guard must not let `/API/blocks`
 * by as a UI file when a router, or a future one, matches it case-insensitively.
 */
export function isApiPath(path: string): boolean {
  return /^\/api(?:\/|$)/i.test(path);
}

/** Name of the UI session cookie. */
export const SESSION_COOKIE = 'ipwarden_session';

/**
 * The UI session cookie value: HMAC-SHA256 of a fixed label keyed by the admin token. It proves
 * knowledge of the token without being the token, survives restarts, and is revoked by rotating
 * the token file.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('ipwarden ui session v1').digest('base64url');
}

/**
 * Admin API gatekeeper: the Host header must name the admin server (DNS-rebinding defence), a
 * state-changing request with an Origin header must come from the admin UI's own origin, and a
 * state-changing request authenticated by the session cookie must carry that Origin (a malicious
 * page cannot drive the operator's browser). Every request but `GET /api/health` and reading the
 * UI's files (GET or HEAD outside `/api`, in any letter case) needs `Authorization: Bearer <token>`
 * or the UI session cookie (SameSite=Strict, HttpOnly).
 */
export function adminGuard(options: AdminGuardOptions) {
  const { token } = options;
  const session = sessionValue(token);
  const authenticated = (ctx: Context, next: Next) => {
    const remote = ctx.req.socket.remoteAddress ?? '';
    options.onAuthenticated?.(
      remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote,
    );
    return next();
  };
  return async function guardAdmin(ctx: Context, next: Next): Promise<void> {
    const host = (ctx.get('host') || '').toLowerCase();
    if (!options.hostAllowed(host)) {
      throw new ApiError(
        421,
        `this admin server does not answer for host ${JSON.stringify(host.slice(0, 100))}`,
      );
    }
    const changing = !['GET', 'HEAD', 'OPTIONS'].includes(ctx.method);
    const origin = ctx.get('origin');
    const sameOrigin = origin !== '' && isSameOrigin(origin, host);
    if (origin && changing && !sameOrigin) throw new ApiError(403, 'cross-origin request refused');
    if (ctx.path === '/api/health' && ctx.method === 'GET') return next();
    // Deny by default: only reading the UI's own files needs no token.
    if (!isApiPath(ctx.path) && (ctx.method === 'GET' || ctx.method === 'HEAD')) return next();
    const header = ctx.get('authorization');
    const presented = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (presented && safeEqual(presented, token)) return authenticated(ctx, next);
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (!presented && cookie && safeEqual(cookie, session) && ctx.path !== '/api/session') {
      if (changing && !sameOrigin)
        throw new ApiError(403, 'a state-changing request from the UI must carry its Origin');
      return authenticated(ctx, next);
    }
    ctx.set('WWW-Authenticate', 'Bearer realm="ipwarden"');
    throw new ApiError(
      401,
      'missing or wrong admin token (Authorization: Bearer <token from the data dir admin-token file>)',
    );
  };
}

/**
 * True when `origin` is the admin server's own origin as this request reached it (its Host, already
 * checked). Not merely any accepted host: on a wildcard bind every IP literal is an accepted host,
 * and a page served from another machine's IP at the same port must not count as the UI.
 */
function isSameOrigin(origin: string, host: string): boolean {
  if (!/^https?:\/\//.test(origin)) return false;
  return origin.replace(/^https?:\/\//, '').toLowerCase() === host;
}
