import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { CountersClient } from '../store/index.js';

/**
 * Sessions the upstream vouched for. A proxy cannot check a credential itself, so a client counts
 * as authenticated only when it presents a session cookie that the upstream set in its answer to a
 * successful login through this proxy. Only a SHA-256 hash of the cookie value is kept (in the
 * counters store, with the cookie's own expiry), never the secret; unknown or made-up cookies are
 * anonymous, so rotating fake cookies cannot buy fresh rate-limit budgets. Sessions share budgets
 * (see {@link SessionRegistry.learn}): one set for a client that had none joins the budget of the
 * client's address, one set in answer to a request with a session joins that session's, so neither
 * minting cookies (a site that sets one with every failed login) nor chaining them buys more.
 */
export interface SessionRegistry {
  /**
   * The rate-limit budget of the vouched-for session cookie the request carries (a session hash),
   * else null.
   */
  identify(headers: IncomingHttpHeaders): Promise<string | null>;
  /**
   * Learns (or forgets, on logout) sessions from an upstream answer to a request a rate-limit rule
   * covers: its status and Set-Cookie lines. A session learned joins `budget`: the proxy passes the
   * budget of the session the request carried (from {@link identify}), else one named after the
   * client's address, so every session minted for one client shares one signed-in budget. Without
   * `budget`, a session is its own.
   */
  learn(status: number, setCookies: readonly string[], budget?: string | null): Promise<void>;
}

/**
 * Which upstream answers vouch for a session they set: any success (`success`: 2xx or 3xx, the
 * default) or only a redirect (`redirect`: 3xx, for a site that answers a failed form login with
 * 200 and a session cookie, where `success` would learn a session per failed attempt).
 */
export type SessionVouch = 'success' | 'redirect';

export interface SessionRegistryOptions {
  counters: CountersClient;
  cookieName: string;
  /** Used when the Set-Cookie carries neither Max-Age nor Expires (ms). */
  defaultTtlMs: number;
  /** Which answers vouch for a session; default `success`. */
  vouchedBy?: SessionVouch;
  now?: () => number;
}

/**
 * Builds the session registry over the counters store: key `session:<sha256 of the cookie>`, value
 * the session's budget (its own hash, or the hash of the session it was set in answer to).
 */
export function createSessionRegistry(options: SessionRegistryOptions): SessionRegistry {
  const { counters, cookieName, defaultTtlMs } = options;
  const vouchedBy = options.vouchedBy ?? 'success';
  const now = options.now ?? Date.now;
  const prefix = `${cookieName}=`;

  return {
    async identify(headers) {
      const value = readCookie(headers.cookie, cookieName);
      if (value === null) return null;
      const hash = hashSecret(value);
      const budget = await counters.get(`session:${hash}`);
      if (budget === null) return null;
      return budget === '1' ? hash : budget; // '1': learned by an earlier version, its own budget
    },
    async learn(status, setCookies, budget = null) {
      if (status >= 400 || (vouchedBy === 'redirect' && (status < 300 || status === 304))) return;
      for (const line of setCookies) {
        if (!line.startsWith(prefix)) continue;
        const { value, ttlMs } = parseSetCookie(line.slice(prefix.length), now(), defaultTtlMs);
        const hash = hashSecret(value);
        if (value === '' || ttlMs <= 0) await counters.del(`session:${hash}`);
        else await counters.set(`session:${hash}`, budget ?? hash, 'PX', ttlMs);
      }
    },
  };
}

/** SHA-256 hex of a secret: the only form in which a credential is ever stored or used as a key. */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function parseSetCookie(rest: string, nowMs: number, defaultTtlMs: number): { value: string; ttlMs: number } {
  const [value = '', ...attributes] = rest.split(';');
  let ttlMs = defaultTtlMs;
  for (const attribute of attributes) {
    const [rawKey = '', rawVal = ''] = attribute.split('=', 2);
    const key = rawKey.trim().toLowerCase();
    if (key === 'max-age') {
      // RFC 6265 §5.2.2: Max-Age is an integer of seconds and wins over Expires; anything else is ignored.
      if (/^-?\d{1,12}$/.test(rawVal.trim()))
        return { value: value.trim(), ttlMs: Number(rawVal.trim()) * 1000 };
    } else if (key === 'expires') {
      const at = Date.parse(rawVal.trim());
      if (Number.isFinite(at)) ttlMs = at - nowMs;
    }
  }
  return { value: value.trim(), ttlMs };
}
