import type { Flag } from '../store/index.js';
import { flagKey } from './pending-refreshes.js';

/** The active flags of one version of the state's flags array, by (ip, reason) and reasons by IP. */
export interface ActiveFlags {
  readonly byKey: ReadonlyMap<string, Flag>;
  readonly byIp: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Indexes the active flags, rebuilt only when the state's flags array is a different one (a commit
 * that touches flags replaces it; state-draft.ts). Live detection asks for the active flag of each
 * client it counted, five times a second: a scan of a thousand flags each time was 5% of the
 * proxy's CPU at full load (README "Performance").
 */
export class ActiveFlagIndex {
  #flags: readonly Flag[] | null = null;
  #index: ActiveFlags = { byKey: new Map(), byIp: new Map() };

  /** The index of `flags` (the state's current array). */
  of(flags: readonly Flag[]): ActiveFlags {
    if (flags === this.#flags) return this.#index;
    const byKey = new Map<string, Flag>();
    const byIp = new Map<string, Set<string>>();
    for (const f of flags) {
      if (!f.is_active) continue;
      byKey.set(flagKey(f.ip, f.reason), f);
      const reasons = byIp.get(f.ip);
      if (reasons === undefined) byIp.set(f.ip, new Set([f.reason]));
      else reasons.add(f.reason);
    }
    this.#flags = flags;
    this.#index = { byKey, byIp };
    return this.#index;
  }
}
