import { tryParseAddress } from '../net/index.js';
import { type Flag, flagSchema } from '../store/index.js';
import { RULE_REASONS } from './rules.js';

/** A flag's evidence from another instance is at most this long as JSON: its own is under 4 KB. */
const MAX_PEER_DETAILS = 16_384;
const REASONS: ReadonlySet<string> = new Set([...RULE_REASONS, 'ml_outlier']);
/** `Date#toISOString()` form, the only one this instance writes. */
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** How far ahead of this clock a peer's time may be: clock skew between hosts, not more (ms). */
export const MAX_CLOCK_AHEAD_MS = 3_600_000;

/**
 * A flag another instance sent (a pub/sub message, a record of the `flags:state` hash), or null when
 * it is not one this instance could have raised: an IP that is not one canonical address (a
 * `128.0.0.0/1` "flag" would auto-block half the Internet), a reason detection does not have, or
 * evidence larger than {@link MAX_PEER_DETAILS} (a 20,000-deep object overflowed the state's
 * serialiser; a 280 MB one made every commit take a second), or times not in UTC, out of order or
 * more than {@link MAX_CLOCK_AHEAD_MS} ahead of `now` (epoch ms). Anyone who can write to the shared
 * Redis can send these; they are checked like client input.
 */
export function peerFlag(value: unknown, now: number = Date.now()): Flag | null {
  const parsed = flagSchema.safeParse(value);
  if (!parsed.success) return null;
  const flag = parsed.data;
  if (tryParseAddress(flag.ip)?.text !== flag.ip || !REASONS.has(flag.reason)) return null;
  // Times as this instance writes them (UTC, compared as text), not after the last sighting, and
  // not ahead of this clock by more than skew: a flag last seen in 9999 would never expire, and
  // one dated hours ahead would slip past a dismissal's quiet hour.
  if (!UTC_TIME.test(flag.first_seen) || !UTC_TIME.test(flag.last_seen)) return null;
  if (flag.first_seen > flag.last_seen || Date.parse(flag.last_seen) > now + MAX_CLOCK_AHEAD_MS) return null;
  try {
    if (JSON.stringify(flag.details).length > MAX_PEER_DETAILS) return null;
  } catch {
    return null; // nested too deep to serialise
  }
  return flag;
}
