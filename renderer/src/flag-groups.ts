/**
 * Flags grouped by IP, as the flags view lists them, with the blocklist entry (if any) that
 * already blocks each IP (the server names it on each flag). Pure.
 */
import type { Flag, FlagBlock } from './types.js';

export interface FlaggedIp {
  ip: string;
  flags: Flag[];
  /** Distinct reason codes, in the order first seen. */
  reasons: string[];
  firstSeen: string;
  lastSeen: string;
  /** From the flags; null when the server does not know it, undefined when it did not say. */
  country?: string | null;
  /** The block in force that covers the IP (its longest-prefix match), if any. */
  block?: FlagBlock;
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
    if (group.block === undefined && flag.block) group.block = flag.block;
  }
  return [...groups.values()].sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen));
}

/** The reason recorded for a block made from the flags view: `blocked from UI: failed_logins, …`. */
export function uiBlockReason(reasons: readonly string[]): string {
  return `blocked from UI: ${reasons.join(', ')}`;
}
