import { type Cidr, parseCidr } from '../net/index.js';
import { AccessListError } from './access-list-error.js';

/** True when `target` is an address or CIDR range written in its canonical form. */
export function isTarget(target: string): boolean {
  try {
    return parseCidr(target).text === target;
  } catch {
    return false;
  }
}

/**
 * The first instant an expiry cannot be stored at: 10000-01-01T00:00:00Z. The state keeps times as
 * ISO 8601 with a four-digit year; a later one prints as `+010000-…`, which the state file refuses.
 */
export const MAX_DATE_MS = Date.UTC(10000, 0, 1);

/** Parses a blocklist/allowlist target. @throws AccessListError naming the expected form. */
export function parseTarget(target: unknown): Cidr {
  if (typeof target !== 'string' || target.trim() === '') {
    throw new AccessListError(
      'target must be an IP address or CIDR range, e.g. 203.0.113.7 or 198.51.100.0/24',
    );
  }
  try {
    return parseCidr(target);
  } catch (err) {
    throw new AccessListError(
      `target must be an IP address or CIDR range, e.g. 203.0.113.7 or 198.51.100.0/24: ${(err as Error).message}`,
    );
  }
}

/**
 * Checks a block's duration: undefined (permanent), or a positive whole number of ms that ends
 * before the latest time a Date can hold.
 * @throws AccessListError (400) naming the duration given.
 */
export function checkDuration(nowMs: number, durationMs: number | undefined): void {
  if (durationMs === undefined) return;
  if (!Number.isSafeInteger(durationMs) || durationMs <= 0 || nowMs + durationMs >= MAX_DATE_MS) {
    throw new AccessListError(
      `duration must be a positive number of milliseconds ending before the year 10000, got ${durationMs}`,
    );
  }
}
