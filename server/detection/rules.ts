import type { DetectionConfig } from '../config.js';
import { compilePathPattern, normalisePath, type PathPattern } from '../net/index.js';
import type { AccessRecord } from '../store/index.js';

/** Reason codes of a flag (DESIGN.md "Names"). */
export type FlagReason =
  | 'high_volume'
  | 'brute_force'
  | 'sensitive_paths'
  | 'failed_logins'
  | 'admin_access'
  | 'ml_outlier';
export type RuleReason = Exclude<FlagReason, 'ml_outlier'>;
export const RULE_REASONS: readonly RuleReason[] = [
  'high_volume',
  'brute_force',
  'sensitive_paths',
  'failed_logins',
  'admin_access',
];

/** One detection rule: which requests it counts, and the per-window threshold it must exceed. */
export interface Rule {
  readonly reason: RuleReason;
  /** A flag is raised when the count in the window is strictly greater than this. */
  readonly threshold: number;
  /** Rules that count the same requests share one window counter (high_volume and brute_force both count every request). */
  readonly counter: string;
  counts(record: AccessRecord, path: string): boolean;
}

/** Compiled rule set plus the path classifiers other parts reuse (features, reports). */
export interface RuleSet {
  readonly rules: readonly Rule[];
  readonly windowMs: number;
  isSensitive(path: string): boolean;
  /** The rules a record counts toward (path normalised once). */
  matching(record: AccessRecord): Rule[];
}

/**
 * Builds the five rules from the seeds' Celery tasks (per IP per window, default one hour):
 * high_volume > 100 requests, brute_force > 200 requests, sensitive_paths > 5 hits on the
 * sensitive-path list, failed_logins > 10 login attempts answered 401/403 by the upstream or 429
 * by the rate limit (a brute-forcer keeps trying after it is limited), admin_access > 3 hits on
 * admin paths. Thresholds and path lists come from config.
 */
export function compileRules(config: DetectionConfig): RuleSet {
  const sensitive = config.sensitivePaths.map(compilePathPattern);
  const admin = config.adminPaths.map(compilePathPattern);
  const login = config.loginPaths.map(compilePathPattern);
  const failedStatuses = new Set([...config.failedLoginStatuses, 429]);
  const any = (patterns: PathPattern[], path: string) => patterns.some((p) => p.matches(path));
  const t = config.thresholds;
  const rules: Rule[] = [
    { reason: 'high_volume', threshold: t.high_volume, counter: 'requests', counts: () => true },
    { reason: 'brute_force', threshold: t.brute_force, counter: 'requests', counts: () => true },
    {
      reason: 'sensitive_paths',
      threshold: t.sensitive_paths,
      counter: 'sensitive_paths',
      counts: (_r, path) => any(sensitive, path),
    },
    {
      reason: 'failed_logins',
      threshold: t.failed_logins,
      counter: 'failed_logins',
      counts: (r, path) => failedStatuses.has(r.http.response.status_code) && any(login, path),
    },
    {
      reason: 'admin_access',
      threshold: t.admin_access,
      counter: 'admin_access',
      counts: (_r, path) => any(admin, path),
    },
  ];
  return {
    rules,
    windowMs: config.window,
    isSensitive: (path) => any(sensitive, normalisePath(path)),
    matching(record) {
      const path = normalisePath(record.url.path);
      return rules.filter((rule) => rule.counts(record, path));
    },
  };
}
