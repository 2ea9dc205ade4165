/**
 * Flags grouped by IP, as the flags view lists them, and the blocklist entry (if any) that
 * already blocks each IP. Pure.
 */
import { covers } from './ip-ranges.js';
import type { BlockEntry, Flag } from './types.js';

export interface FlaggedIp {
  ip: string;
  flags: Flag[];
  /** Distinct reason codes, in the order first seen. */
  reasons: string[];
  firstSeen: string;
  lastSeen: string;
  country?: string;
}

/** Groups flags by IP; the groups are ordered by last sighting, newest first. */
export function groupFlags(flags: readonly Flag[]): FlaggedIp[] {
  const groups = new Map<string, FlaggedIp>();
  for (const flag of flags) {
    let group = groups.get(flag.ip);
    if (group === undefined) {
      group = { ip: flag.ip, flags: [], reasons: [], firstSeen: flag.first_seen, lastSeen: flag.last_seen };
      groups.set(flag.ip, group);
    }
    group.flags.push(flag);
    if (!group.reasons.includes(flag.reason)) group.reasons.push(flag.reason);
    if (Date.parse(flag.first_seen) < Date.parse(group.firstSeen)) group.firstSeen = flag.first_seen;
    if (Date.parse(flag.last_seen) > Date.parse(group.lastSeen)) group.lastSeen = flag.last_seen;
    if (group.country === undefined && flag.country !== undefined) group.country = flag.country;
  }
  return [...groups.values()].sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen));
}

/**
 * The unexpired blocklist entry that blocks `ip`: the exact entry if there is one, else the
 * narrowest CIDR that covers it. Undefined when the IP is not blocked.
 */
export function blockFor(ip: string, blocks: readonly BlockEntry[]): BlockEntry | undefined {
  let best: BlockEntry | undefined;
  let bestPrefix = -1;
  for (const block of blocks) {
    if (block.expired || !covers(block.target, ip)) continue;
    const prefix = block.target.includes('/') ? Number(block.target.split('/')[1]) : 129;
    if (prefix > bestPrefix) {
      best = block;
      bestPrefix = prefix;
    }
  }
  return best;
}

/** The reason recorded for a block made from the flags view: `blocked from UI: failed_logins, …`. */
export function uiBlockReason(reasons: readonly string[]): string {
  return `blocked from UI: ${reasons.join(', ')}`;
}
