import type { BacktestReason, SideOutcome } from './backtest-side.js';

/** An IP whose outcome differs between the settings in force and the candidate. */
export interface BacktestIp {
  ip: string;
  /** Reasons under the settings the IP is flagged by (candidate for "new", current for "no longer"). */
  reasons: BacktestReason[];
  /** Reason codes under the other settings (empty when not flagged there). */
  otherReasons: string[];
  /** Successful logins at or after the IP's first flag under those settings. */
  laterLogins: number;
  /** A flagged IP that later logged in successfully is probably a real user: a likely false positive. */
  likelyFalsePositive: boolean;
  /** The IP is already on the blocklist now (a block would change nothing). */
  alreadyBlocked: boolean;
}

/** An IP a rate-limit rule would have limited under either settings. */
export interface BacktestRateLimit {
  ip: string;
  rule: string;
  /** Requests answered 429 under the settings in force / under the candidate. */
  current: number;
  candidate: number;
}

/** The difference a candidate makes. Lists are sorted by IP. */
export interface BacktestDiff {
  newlyFlagged: BacktestIp[];
  noLongerFlagged: BacktestIp[];
  /** Flagged under both, for different reasons. */
  reasonsChanged: BacktestIp[];
  newlyBlocked: BacktestIp[];
  noLongerBlocked: BacktestIp[];
  /** Every (IP, rule) whose 429 count differs. */
  rateLimited: BacktestRateLimit[];
}

/** What the diff needs besides the two outcomes. */
export interface DiffContext {
  /** Distinct reasons that get an IP auto-blocked, per side (the seeds' 3). */
  autoBlockReasons: { current: number; candidate: number };
  isBlocked(ip: string): boolean;
}

/**
 * Compares what the settings in force and the candidate would have done over the same range:
 * flagged by one and not the other, flagged by both for different reasons, auto-blocked (an IP with
 * at least `autoBlockReasons` distinct reasons, as {@link AutoBlocker} decides) by one and not the
 * other, and 429 counts that differ. Pure.
 */
export function diffOutcomes(
  current: SideOutcome,
  candidate: SideOutcome,
  context: DiffContext,
): BacktestDiff {
  const entry = (ip: string, from: SideOutcome, other: SideOutcome): BacktestIp => {
    const laterLogins = from.laterLogins.get(ip) ?? 0;
    return {
      ip,
      reasons: from.flagged.get(ip) ?? [],
      otherReasons: (other.flagged.get(ip) ?? []).map((r) => r.reason),
      laterLogins,
      likelyFalsePositive: laterLogins > 0,
      alreadyBlocked: context.isBlocked(ip),
    };
  };
  const only = (a: SideOutcome, b: SideOutcome) => sortedIps(a.flagged).filter((ip) => !b.flagged.has(ip));
  const blockedIn = (side: SideOutcome, min: number) => (ip: string) =>
    (side.flagged.get(ip)?.length ?? 0) >= min;
  const blockCur = blockedIn(current, context.autoBlockReasons.current);
  const blockCand = blockedIn(candidate, context.autoBlockReasons.candidate);
  return {
    newlyFlagged: only(candidate, current).map((ip) => entry(ip, candidate, current)),
    noLongerFlagged: only(current, candidate).map((ip) => entry(ip, current, candidate)),
    reasonsChanged: sortedIps(candidate.flagged)
      .filter((ip) => current.flagged.has(ip) && reasonKey(current, ip) !== reasonKey(candidate, ip))
      .map((ip) => entry(ip, candidate, current)),
    newlyBlocked: sortedIps(candidate.flagged)
      .filter((ip) => blockCand(ip) && !blockCur(ip))
      .map((ip) => entry(ip, candidate, current)),
    noLongerBlocked: sortedIps(current.flagged)
      .filter((ip) => blockCur(ip) && !blockCand(ip))
      .map((ip) => entry(ip, current, candidate)),
    rateLimited: diffRateLimits(current, candidate),
  };
}

function sortedIps(flagged: Map<string, unknown>): string[] {
  return [...flagged.keys()].sort(compareIps);
}

function reasonKey(side: SideOutcome, ip: string): string {
  return (side.flagged.get(ip) ?? [])
    .map((r) => r.reason)
    .sort()
    .join(',');
}

function diffRateLimits(current: SideOutcome, candidate: SideOutcome): BacktestRateLimit[] {
  const rows = new Map<string, BacktestRateLimit>();
  const row = (ip: string, rule: string) => {
    const key = `${rule} ${ip}`;
    let r = rows.get(key);
    if (!r) {
      r = { ip, rule, current: 0, candidate: 0 };
      rows.set(key, r);
    }
    return r;
  };
  for (const l of current.rateLimited) row(l.ip, l.rule).current = l.requests;
  for (const l of candidate.rateLimited) row(l.ip, l.rule).candidate = l.requests;
  return [...rows.values()]
    .filter((r) => r.current !== r.candidate)
    .sort((a, b) => a.rule.localeCompare(b.rule) || compareIps(a.ip, b.ip));
}

/** Orders IPv4 numerically by octet, then IPv6 as text. */
export function compareIps(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
    return 0;
  }
  if (pa.length === 4) return -1;
  if (pb.length === 4) return 1;
  return a.localeCompare(b);
}
