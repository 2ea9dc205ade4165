import type { DetectionConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { RequestLog } from '../store/index.js';
import type { FlagStore } from './flag-store.js';
import type { RuleSet } from './rules.js';
import { type MonitorFinding, WindowEvaluator } from './window-evaluator.js';

export type { MonitorFinding } from './window-evaluator.js';

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

/**
 * The hourly monitor (the seeds' Celery monitor task): recomputes the five rules over one window
 * of the request log — catching whatever live detection missed across a restart — then runs an
 * Isolation Forest (Liu, Ting & Zhou 2008) over per-IP features of the same window and flags the
 * outliers as `ml_outlier` with their score (both in {@link WindowEvaluator}). Streams the log:
 * memory grows with distinct IPs, not records. With `dryRun` nothing is written.
 */
export async function runMonitor(
  options: MonitorOptions,
  window: { since: Date; until: Date },
  dryRun = false,
): Promise<MonitorResult> {
  const { requestLog, rules, flags, ml, logger } = options;
  const evaluator = new WindowEvaluator(rules, ml, window);
  for await (const record of requestLog.scan({ since: window.since, until: window.until }, 'oldest')) {
    evaluator.add(record);
  }
  const findings: MonitorFinding[] = [];
  for (const { details, seenAt, ...finding } of evaluator.findings()) {
    findings.push(finding);
    if (dryRun) continue;
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
  }
  return {
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    records: evaluator.records,
    ips: evaluator.ips,
    findings,
  };
}
