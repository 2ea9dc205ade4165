import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { CountersClient } from '../store/index.js';

/**
 * Sessions the upstream vouched for. A proxy cannot check a credential itself, so a client counts
 * as authenticated only when it presents a session cookie that the upstream set in its answer to a
 * successful login through this proxy. Only a SHA-256 hash of the cookie value is kept (in the
 * counters store, with the cookie's own expiry), never the secret; unknown or made-up cookies are
 * anonymous, so rotating fake cookies cannot buy fresh rate-limit budgets.
 */
export interface SessionRegistry {
  /** The session hash when the request carries a vouched-for session cookie, else null. */
  identify(headers: IncomingHttpHeaders): Promise<string | null>;
  /** Learns (or forgets, on logout) sessions from an upstream answer to a login request: its status and Set-Cookie lines. */
  learn(status: number, setCookies: readonly string[]): Promise<void>;
}

export interface SessionRegistryOptions {
  counters: CountersClient;
  cookieName: string;
  /** Used when the Set-Cookie carries neither Max-Age nor Expires (ms). */
  defaultTtlMs: number;
  now?: () => number;
}

/** Builds the session registry over the counters store (keys `session:<sha256>`). */
export function createSessionRegistry(options: SessionRegistryOptions): SessionRegistry {
  const { counters, cookieName, defaultTtlMs } = options;
  const now = options.now ?? Date.now;
  const prefix = `${cookieName}=`;

  return {
    async identify(headers) {
      const value = readCookie(headers.cookie, cookieName);
      if (value === null) return null;
      const hash = hashSecret(value);
      return (await counters.exists(`session:${hash}`)) === 1 ? hash : null;
    },
    async learn(status, setCookies) {
      if (status >= 400) return;
      for (const line of setCookies) {
        if (!line.startsWith(prefix)) continue;
        const { value, ttlMs } = parseSetCookie(line.slice(prefix.length), now(), defaultTtlMs);
        const key = `session:${hashSecret(value)}`;
        if (value === '' || ttlMs <= 0) await counters.del(key);
        else await counters.set(key, '1', 'PX', ttlMs);
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
