import path from 'node:path';
import type { DetectionConfig } from '../config.js';
import type { Logger } from '../log.js';
import {
  type AccessLists,
  type Cluster,
  type CountersClient,
  createCluster,
  type RequestLog,
  type StateStore,
} from '../store/index.js';
import { endFlagsOnAllow } from './allowlist-flags.js';
import { AutoBlocker } from './auto-block.js';
import { archiveDetectionAudit, archiveEndedFlags } from './flag-archive.js';
import { FlagStore } from './flag-store.js';
import { clusterFlagClaims, syncFlags } from './flag-sync.js';
import { type Job, type JobName, JobRunner } from './jobs.js';
import { LiveDetector } from './live-detector.js';
import { MemoryWindowCounts } from './memory-window-counts.js';
import { type MonitorResult, runMonitor } from './monitor.js';
import { writeReport } from './report.js';
import { compileRules, type RuleSet } from './rules.js';
import { RedisWindowCounts } from './window-counts.js';

export { type AutoBlockDecision, AutoBlocker } from './auto-block.js';
export {
  type BacktestDeps,
  type BacktestDiff,
  type BacktestIp,
  type BacktestRateLimit,
  type BacktestReason,
  type BacktestResult,
  runBacktest,
} from './backtest.js';
export { parseCandidate } from './backtest-candidate.js';
export { type FlagEvidence, FlagStore, type RaiseOutcome } from './flag-store.js';
export { JOB_NAMES, type Job, type JobLock, type JobName, type JobRun, JobRunner } from './jobs.js';
export { type MonitorFinding, type MonitorResult, runMonitor } from './monitor.js';
export { type FlaggedIp, groupFlaggedIps, type RangeGroup } from './range-grouping.js';
export {
  DISMISS_ACTION,
  dismissRangeSuggestion,
  type RangeSuggestion,
  suggestRanges,
} from './range-suggestions.js';
export { listReports, type SecurityReport } from './report.js';
export { compileRules, type FlagReason, RULE_REASONS, type RuleSet } from './rules.js';

export interface DetectionDeps {
  config: DetectionConfig;
  dataDir: string;
  state: StateStore;
  lists: AccessLists;
  requestLog: RequestLog;
  counters: CountersClient;
  /** The link to other instances sharing the counters store; omitted: a cluster of one. */
  cluster?: Cluster;
  logger: Logger;
  now?: () => number;
  /** IPv6 clients are auto-blocked as their network of this many bits (`rateLimitIpv6Prefix`, default 64). */
  ipv6Prefix?: number;
}

export interface Detection {
  rules: RuleSet;
  flags: FlagStore;
  live: LiveDetector;
  autoBlocker: AutoBlocker;
  jobs: JobRunner;
  reportsDir: string;
  /** Applies new detection settings without a restart. */
  applyConfig(config: DetectionConfig): void;
  /**
   * Stops the scheduled jobs, counts what live detection has queued and writes waiting flag
   * refreshes; never rejects (a failed write is logged).
   */
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** A scheduled run's cluster lock outlives any clock skew between instances, then expires. */
const JOB_LOCK_MS = HOUR_MS;

/** Wires detection: rules → flag store (shared with the cluster) → auto-block → live detector → the job table. */
export function createDetection(deps: DetectionDeps): Detection {
  const { config, state, lists, requestLog, logger } = deps;
  const now = deps.now ?? Date.now;
  const cluster =
    deps.cluster ??
    createCluster({ counters: deps.counters, prefix: '', shared: false, failure: 'open', logger });
  const rules = compileRules(config);
  const flags = new FlagStore(state, lists, {
    quietAfterDismissMs: config.window,
    now,
    claims: cluster.shared ? clusterFlagClaims(cluster) : undefined,
    onError: (err) =>
      logger.error({ 'error.message': err.message }, 'flag refreshes not written; will retry'),
    onFull: (capacity) =>
      logger.error(
        { capacity },
        'flags full: new flags are not recorded until some end (see GET /api/health)',
      ),
  });
  syncFlags(flags, cluster, logger, deps.counters);
  endFlagsOnAllow(flags, lists, logger);
  const autoBlocker = new AutoBlocker({
    flags,
    lists,
    audit: () => state.data.audit,
    now,
    logger,
    reasons: config.autoBlockReasons,
    durationMs: config.autoBlockFor,
    flagTtlMs: config.flagTtl,
    ipv6Prefix: deps.ipv6Prefix,
  });
  const live = new LiveDetector({
    rules,
    windows: cluster.shared ? new RedisWindowCounts(deps.counters) : new MemoryWindowCounts(),
    flags,
    autoBlocker,
    logger,
    now,
  });
  const reportsDir = path.join(deps.dataDir, 'reports');
  const monitorOptions: Parameters<typeof runMonitor>[0] = {
    requestLog,
    rules,
    flags,
    ml: config.ml,
    logger,
  };
  const tableDeps: JobTableDeps = {
    config,
    flags,
    lists,
    requestLog,
    autoBlocker,
    reportsDir,
    monitorOptions,
    state,
    dataDir: deps.dataDir,
  };
  const lock = (name: JobName, slotMs: number) => cluster.claim(`lock:job:${name}:${slotMs}`, JOB_LOCK_MS);
  const jobs = new JobRunner(jobTable(tableDeps), state, logger, now, lock);

  const detection: Detection = {
    rules,
    flags,
    live,
    autoBlocker,
    jobs,
    reportsDir,
    applyConfig(next) {
      const nextRules = compileRules(next);
      detection.rules = nextRules;
      live.setRules(nextRules);
      monitorOptions.rules = nextRules;
      monitorOptions.ml = next.ml;
      tableDeps.config = next;
      autoBlocker.configure(next.autoBlockReasons, next.autoBlockFor, next.flagTtl);
      flags.dismissals.setQuiet(next.window);
    },
    async close() {
      await jobs.stop();
      await live.close();
      // Never rejects: the caller still has the request log to flush.
      await flags
        .close()
        .catch((err: Error) =>
          logger.error({ 'error.message': err.message }, 'flag refreshes not written at shutdown'),
        );
    },
  };
  return detection;
}

interface JobTableDeps {
  config: DetectionConfig;
  flags: FlagStore;
  lists: AccessLists;
  requestLog: RequestLog;
  autoBlocker: AutoBlocker;
  reportsDir: string;
  monitorOptions: Parameters<typeof runMonitor>[0];
  state: StateStore;
  dataDir: string;
}

/** The archive of ended flags older than the retention, in the data dir (see flag-archive.ts). */
const FLAG_ARCHIVE = 'flags-archive.ndjson';
/** The archive of detection's own audit entries older than the retention. */
const AUDIT_ARCHIVE = 'audit-archive.ndjson';

/** The job table (UTC). Monitor and report run just after each hour; the daily jobs after midnight. */
function jobTable(d: JobTableDeps): Job[] {
  const jobs: (Job & { name: JobName })[] = [
    {
      name: 'monitor',
      schedule: '1 * * * *',
      description:
        'the five rules over the last window of the request log, then an Isolation Forest; then auto-block',
      async run({ now, dryRun, range }) {
        const last = { since: new Date(floorHour(now) - d.config.window), until: new Date(floorHour(now)) };
        const windows = range ? hoursIn(range.since, range.until) : [last];
        const results: MonitorResult[] = [];
        for (const window of windows) results.push(await runMonitor(d.monitorOptions, window, dryRun));
        const autoBlocked = await d.autoBlocker.run(dryRun);
        return {
          since: windows[0]?.since.toISOString(),
          until: windows.at(-1)?.until.toISOString(),
          windows: windows.length,
          records: results.reduce((n, r) => n + r.records, 0),
          // The distinct IPs of the busiest window (one window's IPs are what the rules count);
          // a reduce, not Math.max(...): a spread of 100,000+ windows overflows the call stack.
          mostIpsInAWindow: results.reduce((most, r) => Math.max(most, r.ips), 0),
          findings: results.flatMap((r) => r.findings),
          autoBlocked,
        };
      },
    },
    {
      name: 'cleanup',
      schedule: '10 0 * * *',
      get description() {
        return `deactivate flags not seen for ${Math.round(d.config.flagTtl / DAY_MS)} days`;
      },
      async run({ now, dryRun }) {
        const cutoff = now - d.config.flagTtl;
        const expired = dryRun
          ? d.flags.list({ active: true }).filter((f) => Date.parse(f.last_seen) < cutoff)
          : await d.flags.expireBefore(cutoff, 'job:cleanup');
        return { deactivated: expired.map((f) => ({ ip: f.ip, reason: f.reason, last_seen: f.last_seen })) };
      },
    },
    {
      name: 'auto-block',
      schedule: '20 0 * * *',
      get description() {
        return `block IPs flagged for ${d.config.autoBlockReasons}+ distinct reasons`;
      },
      async run({ dryRun }) {
        return { blocked: await d.autoBlocker.run(dryRun) };
      },
    },
    {
      name: 'retention',
      schedule: '30 0 * * *',
      scope: 'instance', // each instance keeps its own request log
      get description() {
        return `delete request-log segments older than ${Math.round(d.config.retention / DAY_MS)} days; archive ended flags and detection's audit entries as old`;
      },
      async run({ now, dryRun }) {
        const firstKept = new Date(now - d.config.retention).toISOString().slice(0, 10);
        const deleted = dryRun
          ? (await d.requestLog.listSegments()).filter((s) => s.day < firstKept).map((s) => s.name)
          : await d.requestLog.deleteSegmentsBefore(firstKept);
        // Each instance's own state file, so here, on every instance, and not in the cluster-wide cleanup.
        const cutoff = now - d.config.retention;
        const archived = dryRun
          ? d.flags.list({ active: false }).filter((f) => Date.parse(f.last_seen) < cutoff).length
          : await archiveEndedFlags(d.state, cutoff, path.join(d.dataDir, FLAG_ARCHIVE));
        const archivedAudit = dryRun
          ? 0
          : await archiveDetectionAudit(d.state, cutoff, path.join(d.dataDir, AUDIT_ARCHIVE));
        return { deleted, archived, archivedAudit };
      },
    },
    {
      name: 'report',
      schedule: '5 * * * *',
      description:
        'hourly security report: volume trend, top countries, top flagged IPs, rate limits, blocks',
      async run({ now, dryRun }) {
        const until = floorHour(now);
        const deps = { requestLog: d.requestLog, flags: d.flags, lists: d.lists, dir: d.reportsDir };
        const report = await writeReport(deps, new Date(until - HOUR_MS), new Date(until), dryRun);
        return { window: report.window, total: report.volume.total, activeFlags: report.activeFlags };
      },
    },
  ];
  return jobs;
}

/** Clock hours [h, h+1) covering [since, until). */
function hoursIn(since: Date, until: Date): { since: Date; until: Date }[] {
  const out: { since: Date; until: Date }[] = [];
  for (let start = floorHour(since.getTime()); start < until.getTime(); start += HOUR_MS) {
    out.push({ since: new Date(start), until: new Date(start + HOUR_MS) });
  }
  return out;
}

function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}
