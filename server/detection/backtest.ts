import type { Settings } from '../settings.js';
import type { AccessLists, RequestLog } from '../store/index.js';
import { type BacktestDiff, diffOutcomes } from './backtest-diff.js';
import { BacktestSide, sameMlInputs } from './backtest-side.js';

export type { BacktestDiff, BacktestIp, BacktestRateLimit } from './backtest-diff.js';
export type { BacktestReason } from './backtest-side.js';

/** What a backtest reads. Nothing here is written to: no flags, blocks, audit entries or job runs. */
const DAY_MS = 86_400_000;

export interface BacktestDeps {
  requestLog: Pick<RequestLog, 'scan'>;
  lists: Pick<AccessLists, 'decide' | 'isAllowlisted'>;
  /** IPv6 clients' rate-limit network size, as the proxy counts them (default 64). */
  rateLimitIpv6Prefix?: number;
}

/** Totals of one side. */
export interface BacktestSideSummary {
  /** Whole windows evaluated, and the records in them. */
  windows: number;
  records: number;
  /** Records left out because their window had closed (a day's record in a later day's segment). */
  lateRecords: number;
  flaggedIps: number;
  blockedIps: number;
  rateLimitedRequests: number;
}

export interface BacktestResult {
  /** The range asked for (ISO 8601). Each side reads whole windows covering it. */
  since: string;
  until: string;
  current: BacktestSideSummary;
  candidate: BacktestSideSummary;
  diff: BacktestDiff;
}

/**
 * Backtest ("what if"): runs detection over [since, until) of the request log twice — with the
 * settings in force and with the candidate — and returns the difference (see {@link diffOutcomes}).
 * Both sides evaluate windows with the monitor's {@link WindowEvaluator}: the five rules and the
 * Isolation Forest (seeded, so a rerun gives the same answer; fitted once per window when both
 * settings give it the same input). Read-only. Streams the log once,
 * oldest first; windows close at each new UTC day (the log's segment), so memory is one day's
 * windows of per-IP counts plus the flagged IPs, whatever the length of the range.
 */
export async function runBacktest(
  deps: BacktestDeps,
  settings: { current: Settings; candidate: Settings },
  range: { since: Date; until: Date },
): Promise<BacktestResult> {
  const reads = { allow: deps.lists, ipv6Prefix: deps.rateLimitIpv6Prefix ?? 64 };
  const current = new BacktestSide(settings.current, range, reads);
  const shareMl = sameMlInputs(settings.current, settings.candidate);
  const candidate = new BacktestSide(settings.candidate, range, {
    ...reads,
    mlSource: shareMl ? current : undefined,
  });
  const sides = [current, candidate];
  const since = new Date(Math.min(current.since, candidate.since));
  const until = new Date(Math.max(current.until, candidate.until));
  // Segments are UTC days: once a record of a later day arrives, the earlier days are complete.
  let day = Number.NEGATIVE_INFINITY;
  for await (const record of deps.requestLog.scan({ since, until }, 'oldest')) {
    const at = Date.parse(record['@timestamp']);
    const recordDay = Math.floor(at / DAY_MS) * DAY_MS;
    if (recordDay > day) {
      for (const side of sides) side.close(recordDay);
      day = recordDay;
    }
    for (const side of sides) side.add(record, at);
  }
  for (const side of sides) side.close(Number.POSITIVE_INFINITY);
  const before = current.outcome();
  const after = candidate.outcome();
  const diff = diffOutcomes(before, after, {
    autoBlockReasons: {
      current: settings.current.detection.autoBlockReasons,
      candidate: settings.candidate.detection.autoBlockReasons,
    },
    isBlocked: (ip) => deps.lists.decide(ip).kind === 'blocked',
  });
  const summary = (outcome: typeof before, autoBlock: number): BacktestSideSummary => ({
    windows: outcome.windows,
    records: outcome.records,
    lateRecords: outcome.lateRecords,
    flaggedIps: outcome.flagged.size,
    blockedIps: [...outcome.flagged.values()].filter((r) => r.length >= autoBlock).length,
    rateLimitedRequests: outcome.rateLimited.reduce((n, l) => n + l.requests, 0),
  });
  return {
    since: range.since.toISOString(),
    until: range.until.toISOString(),
    current: summary(before, settings.current.detection.autoBlockReasons),
    candidate: summary(after, settings.candidate.detection.autoBlockReasons),
    diff,
  };
}
