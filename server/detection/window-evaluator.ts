import type { DetectionConfig } from '../config.js';
import { normalisePath } from '../net/index.js';
import type { AccessRecord } from '../store/index.js';
import { IpFeatureAccumulator } from './ip-features.js';
import { fitIsolationForest } from './isolation-forest.js';
import type { FlagReason, RuleReason, RuleSet } from './rules.js';

/** A flag the monitor raised (or would raise, in a dry run). */
export interface MonitorFinding {
  ip: string;
  reason: FlagReason;
  count: number;
  threshold?: number;
  score?: number;
}

/** A finding with the evidence a flag carries and when it was last seen (ms since epoch). */
export interface WindowFinding extends MonitorFinding {
  details: Record<string, unknown>;
  seenAt: number;
}

interface IpWindow {
  counts: number[];
  samples: string[][];
  lastSeen: number;
}

const MAX_SAMPLES = 5;

/** Names of the Isolation Forest features, in vector order (see ip-features.ts). */
export const FEATURE_NAMES = [
  'request_count',
  'distinct_path_ratio',
  'error_ratio',
  'sensitive_path_ratio',
  'mean_gap_seconds',
  'distinct_user_agents',
] as const;

/**
 * One detection window [since, until) of the request log, per IP: the five rules' counts (strictly
 * greater than the threshold flags) plus, at the end, an Isolation Forest (Liu, Ting & Zhou 2008)
 * over per-IP features. The monitor and the backtest both evaluate windows with this, so they can
 * never disagree. Memory grows with distinct IPs in the window, not with records.
 */
export class WindowEvaluator {
  readonly since: Date;
  readonly until: Date;
  records = 0;
  readonly #rules: RuleSet;
  readonly #ml: DetectionConfig['ml'];
  readonly #perIp = new Map<string, IpWindow>();
  readonly #features = new IpFeatureAccumulator();

  constructor(rules: RuleSet, ml: DetectionConfig['ml'], window: { since: Date; until: Date }) {
    this.#rules = rules;
    this.#ml = ml;
    this.since = window.since;
    this.until = window.until;
  }

  /** Distinct IPs seen so far. */
  get ips(): number {
    return this.#perIp.size;
  }

  /**
   * Counts one record (its timestamp must lie in the window). Returns the rules whose count just
   * went over the threshold with this record — the moment live detection would flag.
   */
  add(record: AccessRecord): RuleReason[] {
    this.records++;
    const ip = record.source.ip;
    const rules = this.#rules.rules;
    let entry = this.#perIp.get(ip);
    if (!entry) {
      entry = { counts: rules.map(() => 0), samples: rules.map(() => []), lastSeen: 0 };
      this.#perIp.set(ip, entry);
    }
    const path = normalisePath(record.url.path);
    const crossed: RuleReason[] = [];
    for (const [i, rule] of rules.entries()) {
      if (!rule.counts(record, path)) continue;
      const count = (entry.counts[i] ?? 0) + 1;
      entry.counts[i] = count;
      if (count === rule.threshold + 1) crossed.push(rule.reason);
      const samples = entry.samples[i] as string[];
      if (samples.length < MAX_SAMPLES && !samples.includes(record.url.path)) samples.push(record.url.path);
    }
    entry.lastSeen = Math.max(entry.lastSeen, Date.parse(record['@timestamp']));
    if (this.#ml.enabled) this.#features.add(record, this.#rules.isSensitive);
    return crossed;
  }

  /** Every flag the window raises: rule findings first (IP order of first sighting), then ML outliers. */
  findings(): WindowFinding[] {
    return [...this.ruleFindings(), ...this.mlFindings()];
  }

  #windowDetails() {
    return { start: this.since.toISOString(), end: this.until.toISOString() };
  }

  /** The five rules' findings, IPs in order of first sighting. */
  ruleFindings(): WindowFinding[] {
    const out: WindowFinding[] = [];
    for (const [ip, entry] of this.#perIp) {
      for (const [i, rule] of this.#rules.rules.entries()) {
        const count = entry.counts[i] ?? 0;
        if (count <= rule.threshold) continue;
        const details = {
          source: 'monitor',
          count,
          threshold: rule.threshold,
          window: this.#windowDetails(),
          samplePaths: entry.samples[i],
        };
        out.push({
          ip,
          reason: rule.reason,
          count,
          threshold: rule.threshold,
          details,
          seenAt: entry.lastSeen,
        });
      }
    }
    return out;
  }

  /** The Isolation Forest's outliers (none when ML is off or the window has fewer than `minIps` IPs). */
  mlFindings(): WindowFinding[] {
    const ml = this.#ml;
    if (!ml.enabled || this.#perIp.size < ml.minIps) return [];
    const rows = this.#features.features();
    const forest = fitIsolationForest(
      rows.map((r) => r.vector),
      { seed: ml.seed },
    );
    const out: WindowFinding[] = [];
    for (const row of rows) {
      if (row.requestCount < ml.minRequests) continue;
      const score = forest.score(row.vector);
      if (score < ml.threshold) continue;
      const details = {
        source: 'monitor',
        count: row.requestCount,
        score: roundTo(score),
        threshold: ml.threshold,
        window: this.#windowDetails(),
        features: Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, roundTo(row.vector[i] ?? 0)])),
      };
      const seenAt = this.#perIp.get(row.ip)?.lastSeen ?? this.until.getTime();
      out.push({ ip: row.ip, reason: 'ml_outlier', count: row.requestCount, score, details, seenAt });
    }
    return out;
  }
}

function roundTo(value: number): number {
  return Math.round(value * 1000) / 1000;
}
