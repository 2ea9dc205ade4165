import type { Flag } from '../store/index.js';
import type { FlagChangeMeta } from './flag-types.js';

/**
 * Folds `update` into `flag` (mutating it): the latest sighting, the earliest first sighting, and
 * the larger count with its evidence.
 */
export function mergeFlag(flag: Flag, update: Flag): void {
  if (update.last_seen > flag.last_seen) flag.last_seen = update.last_seen;
  if (update.first_seen < flag.first_seen) flag.first_seen = update.first_seen;
  if (update.request_count >= flag.request_count) {
    flag.request_count = update.request_count;
    flag.details = update.details;
  }
}

/** One refresh waiting to be written, and who made it. */
export interface PendingRefresh {
  flag: Flag;
  meta: FlagChangeMeta;
}

/** The key of a flag's (ip, reason): one active flag each. */
export const flagKey = (ip: string, reason: string): string => `${reason} ${ip}`;

/**
 * Folds waiting refreshes into the active flags of `flags` (the state's, being changed) and returns
 * the refreshed flags with who refreshed them. A refreshed flag replaces the old one (flags in the
 * state are frozen: state-draft.ts); a refresh of a flag that ended meanwhile is dropped.
 */
export function applyRefreshes(flags: Flag[], waiting: readonly PendingRefresh[]): PendingRefresh[] {
  const active = new Map<string, number>();
  for (const [i, f] of flags.entries()) if (f.is_active) active.set(flagKey(f.ip, f.reason), i);
  const out: PendingRefresh[] = [];
  for (const { flag: update, meta } of waiting) {
    const i = active.get(flagKey(update.ip, update.reason));
    if (i === undefined) continue; // ended meanwhile
    const flag = { ...(flags[i] as Flag) };
    mergeFlag(flag, update);
    flags[i] = flag;
    out.push({ flag: { ...flag }, meta });
  }
  return out;
}

/**
 * Refreshes of active flags (last sighting, count, evidence) waiting to be written to the state
 * together, one per (ip, reason): with a thousand flagged clients, writing each refresh in a commit
 * of its own kept the state file rewriting back to back (README "Performance").
 */
export class PendingRefreshes {
  readonly #byKey = new Map<string, PendingRefresh>();

  /** How many (ip, reason) have a refresh waiting. */
  get size(): number {
    return this.#byKey.size;
  }

  /**
   * Adds `update` (a copy), folded into a refresh already waiting for the same (ip, reason). The
   * merged refresh keeps a local `meta` (no `from`) over a remote one, so a sighting made here is
   * still published to the cluster when another instance's arrives before the write.
   */
  add(update: Flag, meta: FlagChangeMeta): void {
    const key = flagKey(update.ip, update.reason);
    const waiting = this.#byKey.get(key);
    if (waiting === undefined) {
      this.#byKey.set(key, { flag: { ...update }, meta });
      return;
    }
    mergeFlag(waiting.flag, update);
    if (meta.from === undefined || waiting.meta.from !== undefined) waiting.meta = meta;
  }

  /** Forgets the refresh waiting for (ip, reason), if any (its flag has ended or been replaced). */
  delete(ip: string, reason: string): void {
    this.#byKey.delete(flagKey(ip, reason));
  }

  /** `flag` as it reads with its waiting refresh folded in (a copy), or `flag` itself. */
  overlay(flag: Flag): Flag {
    const waiting = this.#byKey.get(flagKey(flag.ip, flag.reason));
    if (waiting === undefined) return flag;
    const merged = { ...flag };
    mergeFlag(merged, waiting.flag);
    return merged;
  }

  /** Every waiting refresh, oldest first; none wait afterwards. */
  take(): PendingRefresh[] {
    const all = [...this.#byKey.values()];
    this.#byKey.clear();
    return all;
  }

  /** Puts back refreshes whose write failed, under any newer ones made meanwhile. */
  restore(refreshes: readonly PendingRefresh[]): void {
    for (const { flag, meta } of refreshes) {
      const key = flagKey(flag.ip, flag.reason);
      const newer = this.#byKey.get(key);
      if (newer === undefined) this.#byKey.set(key, { flag, meta });
      else {
        mergeFlag(newer.flag, flag);
        if (meta.from === undefined && newer.meta.from !== undefined) newer.meta = meta;
      }
    }
  }
}

/** Paths a flag's evidence names at most: the detectors' own sample size. */
const MAX_SAMPLE_PATHS = 5;

/**
 * The evidence a flag keeps: `next`'s, each sample path cut by {@link cappedSamples}, and on a
 * refresh the sample paths the flag already named (`earlier`) kept first, then the new ones, up to
 * {@link MAX_SAMPLE_PATHS}. A refresh's samples come from its own batch or window only, and the
 * paths that got the client flagged are the evidence an operator wants to see.
 */
export function flagDetails(
  next: Record<string, unknown>,
  earlier: Record<string, unknown> = {},
): Record<string, unknown> {
  const capped = cappedSamples(next);
  const before = earlier.samplePaths;
  const now = capped.samplePaths;
  if (!Array.isArray(before) || !Array.isArray(now) || before.length === 0) return capped;
  return { ...capped, samplePaths: [...new Set([...before, ...now])].slice(0, MAX_SAMPLE_PATHS) };
}

/** Longest sample path a flag keeps (characters); longer ones are cut and end in `…`. */
export const MAX_SAMPLE_PATH_LENGTH = 256;

/**
 * Evidence with each sample path cut to {@link MAX_SAMPLE_PATH_LENGTH} characters. A record keeps
 * paths of up to 4,096 characters, and flags live in the state file, which is rewritten whole on
 * every change: five such paths per flag let anonymous clients grow it by 8 KB a request (a
 * security review measured 1.66 MB from 200 requests).
 */
export function cappedSamples(details: Record<string, unknown>): Record<string, unknown> {
  const paths = details.samplePaths;
  if (!Array.isArray(paths) || !paths.some((p) => typeof p === 'string' && p.length > MAX_SAMPLE_PATH_LENGTH))
    return details;
  return {
    ...details,
    samplePaths: paths.map((p) =>
      typeof p === 'string' && p.length > MAX_SAMPLE_PATH_LENGTH
        ? `${p.slice(0, MAX_SAMPLE_PATH_LENGTH - 1)}…`
        : p,
    ),
  };
}
