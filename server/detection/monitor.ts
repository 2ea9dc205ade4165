import type { DetectionConfig } from '../config.js';
import type { Logger } from '../log.js';
import { normalisePath } from '../net/index.js';
import type { RequestLog } from '../store/index.js';
import type { FlagStore } from './flag-store.js';
import { IpFeatureAccumulator } from './ip-features.js';
import { fitIsolationForest } from './isolation-forest.js';
import type { FlagReason, RuleSet } from './rules.js';

/** A flag the monitor raised (or would raise, in a dry run). */
export interface MonitorFinding {
  ip: string;
  reason: FlagReason;
  count: number;
  threshold?: number;
  score?: number;
}

export interface MonitorResult {
  since: string;
  until: string;
  records: number;
  ips: number;
  findings: MonitorFinding[];
}

export interface MonitorOptions {
  requestLog: RequestLog;
  rules: RuleSet;
  flags: FlagStore;
  ml: DetectionConfig['ml'];
  logger: Logger;
}

interface IpWindow {
  counts: number[];
  samples: string[][];
  lastSeen: number;
}

const MAX_SAMPLES = 5;

/**
 * The hourly monitor (the seeds' Celery monitor task): recomputes the five rules over one window
 * of the request log — catching whatever live detection missed across a restart — then runs an
 * Isolation Forest (Liu, Ting & Zhou 2008) over per-IP features of the same window and flags the
 * outliers as `ml_outlier` with their score. Streams the log: memory grows with distinct IPs, not
 * records. With `dryRun` nothing is written.
 */
export async function runMonitor(
  options: MonitorOptions,
  window: { since: Date; until: Date },
  dryRun = false,
): Promise<MonitorResult> {
  const { requestLog, rules, flags, ml, logger } = options;
  const perIp = new Map<string, IpWindow>();
  const features = new IpFeatureAccumulator();
  let records = 0;
  for await (const record of requestLog.scan({ since: window.since, until: window.until }, 'oldest')) {
    records++;
    const ip = record.source.ip;
    let entry = perIp.get(ip);
    if (!entry) {
      entry = { counts: rules.rules.map(() => 0), samples: rules.rules.map(() => []), lastSeen: 0 };
      perIp.set(ip, entry);
    }
    const path = normalisePath(record.url.path);
    for (const [i, rule] of rules.rules.entries()) {
      if (!rule.counts(record, path)) continue;
      entry.counts[i] = (entry.counts[i] ?? 0) + 1;
      const samples = entry.samples[i] as string[];
      if (samples.length < MAX_SAMPLES && !samples.includes(record.url.path)) samples.push(record.url.path);
    }
    entry.lastSeen = Math.max(entry.lastSeen, Date.parse(record['@timestamp']));
    if (ml.enabled) features.add(record, rules.isSensitive);
  }

  const windowDetails = { start: window.since.toISOString(), end: window.until.toISOString() };
  const findings: MonitorFinding[] = [];
  const raise = async (finding: MonitorFinding, details: Record<string, unknown>, seenAt: number) => {
    findings.push(finding);
    if (dryRun) return;
    const outcome = await flags.raise(
      { ip: finding.ip, reason: finding.reason, count: finding.count, details, seenAt },
      'job:monitor',
    );
    if (outcome === 'created') {
      logger.warn(
        { 'source.ip': finding.ip, 'rule.name': finding.reason, ...details },
        `flagged ${finding.ip}: ${finding.reason}`,
      );
    }
  };

  for (const [ip, entry] of perIp) {
    for (const [i, rule] of rules.rules.entries()) {
      const count = entry.counts[i] ?? 0;
      if (count <= rule.threshold) continue;
      await raise(
        { ip, reason: rule.reason, count, threshold: rule.threshold },
        {
          source: 'monitor',
          count,
          threshold: rule.threshold,
          window: windowDetails,
          samplePaths: entry.samples[i],
        },
        entry.lastSeen,
      );
    }
  }

  if (ml.enabled && perIp.size >= ml.minIps) {
    const rows = features.features();
    const forest = fitIsolationForest(
      rows.map((r) => r.vector),
      { seed: ml.seed },
    );
    for (const row of rows) {
      if (row.requestCount < ml.minRequests) continue;
      const score = forest.score(row.vector);
      if (score < ml.threshold) continue;
      await raise(
        { ip: row.ip, reason: 'ml_outlier', count: row.requestCount, score },
        {
          source: 'monitor',
          count: row.requestCount,
          score: Math.round(score * 1000) / 1000,
          threshold: ml.threshold,
          window: windowDetails,
          features: Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, roundTo(row.vector[i] ?? 0)])),
        },
        perIp.get(row.ip)?.lastSeen ?? window.until.getTime(),
      );
    }
  }
  return { since: windowDetails.start, until: windowDetails.end, records, ips: perIp.size, findings };
}

/** Names of the Isolation Forest features, in vector order (see ip-features.ts). */
export const FEATURE_NAMES = [
  'request_count',
  'distinct_path_ratio',
  'error_ratio',
  'sensitive_path_ratio',
  'mean_gap_seconds',
  'distinct_user_agents',
] as const;

function roundTo(value: number): number {
  return Math.round(value * 1000) / 1000;
}
