import { parseCidr } from '../net/index.js';
import type { AccessIndex } from './access-index.js';
import { isTarget } from './access-list-target.js';
import type { AccessListChange } from './access-list-types.js';
import type { AllowEntry, BlockEntry, State } from './state-schema.js';

type List = AccessListChange['list'];

/** The audit action of each list change. */
export const AUDIT_ACTIONS = {
  blocklist: { add: 'block', remove: 'unblock' },
  allowlist: { add: 'allow', remove: 'disallow' },
} as const;

/** Changes from other instances, planned against the lists as they are here. */
export interface RemotePlan {
  /** The changes that alter something, the last one per target. */
  applied: (AccessListChange & { from: string })[];
  /** Makes them in a state draft, with an audit line each (`details.instance` names the origin). */
  change(state: State): void;
  /** Makes them in the in-memory sets, once written. */
  index(index: AccessIndex): void;
}

/**
 * Plans the changes other instances made (cluster sync) against `current`, the stored lists: the
 * last change per target counts; one whose target is not an IP or CIDR, a removal of what is not
 * there, an addition equal to the entry here and one whose entry names another target are dropped.
 */
export function planRemote(
  changes: readonly (AccessListChange & { from: string })[],
  current: Record<List, readonly (BlockEntry | AllowEntry)[]>,
): RemotePlan {
  const byTarget = {
    blocklist: new Map(current.blocklist.map((e) => [e.target, e] as const)),
    allowlist: new Map(current.allowlist.map((e) => [e.target, e] as const)),
  };
  const latest = new Map(changes.map((c) => [`${c.list} ${c.target}`, c] as const));
  const applied = [...latest.values()].filter((c) => {
    if (!isTarget(c.target)) return false;
    const existing = byTarget[c.list].get(c.target);
    if (c.action === 'remove') return existing !== undefined;
    // An entry for another target than the change's is malformed: stored under one, indexed under the other.
    if (c.entry === undefined || c.entry.target !== c.target) return false;
    return JSON.stringify(existing) !== JSON.stringify(c.entry);
  });
  const touched = (list: List) => new Set(applied.filter((c) => c.list === list).map((c) => c.target));
  const added = (list: List) =>
    applied.flatMap((c) =>
      c.list === list && c.action === 'add' && c.entry ? [Object.freeze(c.entry)] : [],
    );
  return {
    applied,
    change(state) {
      const blocks = touched('blocklist');
      const allows = touched('allowlist');
      state.blocks = [
        ...state.blocks.filter((e) => !blocks.has(e.target)),
        ...(added('blocklist') as BlockEntry[]),
      ];
      state.allowlist = [...state.allowlist.filter((e) => !allows.has(e.target)), ...added('allowlist')];
      for (const c of applied) {
        state.audit.push({
          at: new Date(c.at).toISOString(),
          actor: c.actor,
          action: AUDIT_ACTIONS[c.list][c.action],
          target: c.target,
          ...(c.entry ? { reason: c.entry.reason } : {}),
          details: { instance: c.from },
        });
      }
    },
    index(index) {
      for (const c of applied) {
        const cidr = parseCidr(c.target);
        if (c.action === 'add') index.add(c.list, cidr, c.entry as BlockEntry | AllowEntry);
        else index.delete(c.list, cidr);
      }
    },
  };
}

/**
 * Puts `entry` on `list` in a state draft, in place of any entry of its target (skipped when
 * `fresh`: the list holds none), with its audit line.
 */
export function addEntry(state: State, list: List, entry: BlockEntry | AllowEntry, fresh: boolean): void {
  const kept = (e: BlockEntry | AllowEntry) => e.target !== entry.target;
  if (list === 'blocklist') {
    if (!fresh) state.blocks = state.blocks.filter(kept);
    state.blocks.push(entry as BlockEntry);
  } else {
    if (!fresh) state.allowlist = state.allowlist.filter(kept);
    state.allowlist.push(entry);
  }
  state.audit.push({
    at: entry.createdAt,
    actor: entry.createdBy,
    action: AUDIT_ACTIONS[list].add,
    target: entry.target,
    reason: entry.reason,
  });
}

/** Removes `target` from `list` in a state draft, with the audit line of `actor`'s removal at `at` (epoch ms). */
export function removeEntry(state: State, list: List, target: string, at: number, actor: string): void {
  const kept = (e: BlockEntry | AllowEntry) => e.target !== target;
  if (list === 'blocklist') state.blocks = state.blocks.filter(kept);
  else state.allowlist = state.allowlist.filter(kept);
  state.audit.push({ at: new Date(at).toISOString(), actor, action: AUDIT_ACTIONS[list].remove, target });
}
