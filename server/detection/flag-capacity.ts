import type { Flag, State } from '../store/index.js';
import type { FlagChangeMeta } from './flag-types.js';

/**
 * Active flags the store holds at most. With its audit entry a flag takes 0.7–3.5 KB of state file
 * and 1–8 KB of memory (the longer figures when a client sends five 256-character sample paths),
 * and every commit rewrites the file: 20,000 flags are up to a 70 MB file. Without a cap, a client
 * rotating through the addresses of its IPv6 /64 (6 requests to `/admin` each) added a flag per
 * address until memory and every commit gave out. (100,000 at first: an attack test measured the
 * long-path cost, 350 MB of file at that size.)
 */
export const ACTIVE_FLAG_CAPACITY = 20_000;

/** A refusal this recent keeps the problem reported (ms). */
const FULL_EPISODE_MS = 3_600_000;

/**
 * The flag store's room: whether a new flag fits beside `active` ones, and the refusals of the last
 * hour, reported as a problem (`GET /api/health`) and told to `onFull` once per episode.
 */
export class FlagCapacity {
  readonly #capacity: number;
  readonly #now: () => number;
  readonly #onFull: (capacity: number) => void;
  /** New flags refused in this episode, its first refusal and its last (epoch ms). */
  #refused = { count: 0, since: 0, last: Number.NEGATIVE_INFINITY };
  /** The keys of new flags past the check and not yet written. */
  readonly #creating = new Set<string>();

  constructor(capacity: number, now: () => number = Date.now, onFull: (capacity: number) => void = () => {}) {
    this.#capacity = capacity;
    this.#now = now;
    this.#onFull = onFull;
  }

  /**
   * True, and counted, when the active flags (`active`, by key) and the new ones still being
   * written leave no room for another: live detection raises a batch's flags together, and each
   * would otherwise see only those already committed.
   */
  refuses(active: ReadonlyMap<string, unknown>): boolean {
    let count = active.size;
    for (const key of this.#creating) if (!active.has(key)) count++;
    if (count < this.#capacity) return false;
    const now = this.#now();
    if (this.#refused.count === 0 || now - this.#refused.last > FULL_EPISODE_MS) {
      this.#refused = { count: 0, since: now, last: now };
      this.#onFull(this.#capacity);
    }
    this.#refused.count++;
    this.#refused.last = now;
    return true;
  }

  /** Counts a new flag (by key) as taking room until the returned function is called. */
  creating(key: string): () => void {
    this.#creating.add(key);
    return () => this.#creating.delete(key);
  }

  /** The refusals of the last hour, in words for an operator, or null. */
  problem(): string | null {
    const { count, since, last } = this.#refused;
    if (count === 0 || this.#now() - last > FULL_EPISODE_MS) return null;
    const at = (ms: number) => new Date(ms).toISOString();
    return (
      `flags full: ${count.toLocaleString('en-US')} new flags were not recorded between ${at(since)} ` +
      `and ${at(last)}, because ${this.#capacity.toLocaleString('en-US')} active flags were held, the ` +
      'most ipwarden keeps. Rate limits and blocks still apply. Block the ranges the flags come from ' +
      '(range suggestions) or dismiss flags to make room; flags also make room as they expire.'
    );
  }
}

/**
 * Ends the active flags `match` selects, in a state commit's draft: each is replaced by an inactive
 * copy (flags in the state are frozen, state-draft.ts) and audited as `meta.action`. Returns copies
 * of the flags ended; ending them is what makes room for new ones.
 */
export function endMatching(state: State, match: (f: Flag) => boolean, meta: FlagChangeMeta): Flag[] {
  const out: Flag[] = [];
  const at = new Date().toISOString();
  for (const [i, active] of state.flags.entries()) {
    if (!active.is_active || !match(active)) continue;
    const flag = { ...active, is_active: false };
    state.flags[i] = flag;
    out.push({ ...flag });
    state.audit.push({
      at,
      actor: meta.actor,
      action: meta.action,
      target: flag.ip,
      reason: flag.reason,
      ...(meta.from ? { details: { instance: meta.from } } : {}),
    });
  }
  return out;
}
