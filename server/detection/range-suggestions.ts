import { type Cidr, cidrContains, enclosingCidr, parseCidr, tryParseAddress } from '../net/index.js';
import type { AccessLists, BlockEntry, RequestLog, StateStore } from '../store/index.js';
import type { FlagStore } from './flag-store.js';
import { groupFlaggedIps, RANGE_PREFIXES, type RangeGroup } from './range-grouping.js';

/** A range worth blocking, with the evidence an operator needs to decide. */
export interface RangeSuggestion extends RangeGroup {
  /**
   * Requests in the look-back window from the range's IPs that have no active flag (`requests`),
   * and how many such IPs sent them (`ips`): what a range block would also stop.
   */
  legitimate: { requests: number; ips: number };
  /** Requests in the window from the range's flagged IPs. */
  flaggedRequests: number;
  /** Allowlist entries inside or around the range: they stay reachable, since the allowlist wins. */
  allowlisted: string[];
  /**
   * Addresses the operator uses inside or around the range (loopback, the admin address, recent
   * admin sessions): blocking it asks for confirmation (`force`), since it could lock them out.
   */
  operator: string[];
}

export interface RangeSuggestionDeps {
  flags: FlagStore;
  lists: AccessLists;
  requestLog: Pick<RequestLog, 'scan'>;
  state: StateStore;
  now: () => number;
}

export interface RangeSuggestionOptions {
  /** Flagged IPs a range must hold (detection.rangeSuggestions.minIps, default 3). */
  minIps: number;
  /** Look-back for legitimate traffic (ms; detection.rangeSuggestions.window, default 24 h). */
  windowMs: number;
}

/** The audit action of a dismissed suggestion. */
export const DISMISS_ACTION = 'dismiss-range-suggestion';

/**
 * Range suggestions from the active flags (grouping: {@link groupFlaggedIps}). Skipped: ranges a live
 * block already covers, and ranges an operator dismissed — until more IPs in them are flagged than
 * at the dismissal. Ranges touching the allowlist or the operator's addresses are kept and list them. Legitimate traffic
 * is counted in one streamed pass over the window of the request log.
 */
export async function suggestRanges(
  deps: RangeSuggestionDeps,
  options: RangeSuggestionOptions,
): Promise<RangeSuggestion[]> {
  const byIp = deps.flags.activeReasonsByIp();
  const flagged = [...byIp].map(([ip, reasons]) => ({ ip, reasons: [...reasons].sort() }));
  const blocks = liveRangeBlocks(deps.lists, deps.now());
  const dismissed = dismissals(deps.state);
  const allow = deps.lists.listAllowlist().flatMap((e) => cidrOrNone(e.target));
  const suggestions: RangeSuggestion[] = [];
  for (const group of groupFlaggedIps(flagged, options.minIps)) {
    const cidr = parseCidr(group.range);
    if (blocks.some((b) => covers(b, cidr))) continue;
    if ((dismissed.get(group.range) ?? -1) >= group.ips.length) continue;
    const allowlisted = allow.filter((a) => covers(a, cidr) || covers(cidr, a)).map((a) => a.text);
    const operator = deps.lists.operator.within(cidr);
    suggestions.push({
      ...group,
      legitimate: { requests: 0, ips: 0 },
      flaggedRequests: 0,
      allowlisted,
      operator,
    });
  }
  if (suggestions.length > 0) await countTraffic(deps, options.windowMs, suggestions, byIp);
  return suggestions;
}

/**
 * Records that an operator dismissed the suggestion for `range` while it held `flaggedIps` flagged
 * IPs (an audit entry; nothing else changes).
 * @throws AddressError when `range` is not a CIDR.
 */
export async function dismissRangeSuggestion(
  state: StateStore,
  range: string,
  flaggedIps: number,
  actor: string,
): Promise<void> {
  const cidr = parseCidr(range);
  await state.update((s) => {
    s.audit.push({
      at: new Date().toISOString(),
      actor,
      action: DISMISS_ACTION,
      target: cidr.text,
      details: { flaggedIps },
    });
  });
}

async function countTraffic(
  deps: RangeSuggestionDeps,
  windowMs: number,
  suggestions: RangeSuggestion[],
  flagged: ReadonlyMap<string, unknown>,
): Promise<void> {
  const byRange = new Map(suggestions.map((s) => [s.range, { s, ips: new Set<string>() }]));
  const now = deps.now();
  const range = { since: new Date(now - windowMs), until: new Date(now) };
  for await (const record of deps.requestLog.scan(range, 'oldest')) {
    const ip = record.source.ip;
    const hit = rangeKeys(ip)
      .map((key) => byRange.get(key))
      .find((x) => x !== undefined);
    if (!hit) continue;
    if (flagged.has(ip)) hit.s.flaggedRequests++;
    else {
      hit.s.legitimate.requests++;
      hit.ips.add(ip);
    }
  }
  for (const { s, ips } of byRange.values()) s.legitimate.ips = ips.size;
}

/** The ranges `ip` falls in, as grouped: its /24, or its /64 and /48. Plain dotted quads skip parsing. */
function rangeKeys(ip: string): string[] {
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip)) return [`${ip.slice(0, ip.lastIndexOf('.'))}.0/24`];
  const address = tryParseAddress(ip);
  if (!address) return [];
  if (address.family === 4) return [enclosingCidr(address, RANGE_PREFIXES.v4).text];
  return [
    enclosingCidr(address, RANGE_PREFIXES.v6Narrow).text,
    enclosingCidr(address, RANGE_PREFIXES.v6Wide).text,
  ];
}

/** The ranges (CIDRs, not single IPs) blocked and still in force: one pass, no copy of the blocklist. */
function liveRangeBlocks(lists: AccessLists, now: number): Cidr[] {
  return (lists.entries('blocklist') as readonly BlockEntry[])
    .filter((b) => b.target.includes('/') && (b.expiresAt === null || Date.parse(b.expiresAt) > now))
    .flatMap((b) => cidrOrNone(b.target));
}

/** Largest flagged-IP count at which each range was dismissed. */
function dismissals(state: StateStore): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of state.data.audit) {
    if (entry.action !== DISMISS_ACTION) continue;
    const n = Number(entry.details?.flaggedIps ?? 0);
    out.set(entry.target, Math.max(out.get(entry.target) ?? 0, n));
  }
  return out;
}

/** True when `outer` contains all of `inner`. */
function covers(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && cidrContains(outer, inner.network);
}

function cidrOrNone(text: string): Cidr[] {
  try {
    return [parseCidr(text)];
  } catch {
    return []; // entries the lists could not apply are reported in /api/health already
  }
}
