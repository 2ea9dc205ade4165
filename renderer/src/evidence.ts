/**
 * Reason codes and the one-line evidence summary an operator reads to judge a flag
 * ("30 failed logins in 60 min (> 10)"). Pure.
 */
import { formatNumber } from './format.js';
import type { Flag, FlagDetails } from './types.js';

/** Human names of the reason codes (DESIGN.md "Names"). Unknown codes are shown as they are. */
export const REASON_LABELS: Readonly<Record<string, string>> = {
  high_volume: 'High volume',
  brute_force: 'Brute force',
  sensitive_paths: 'Sensitive paths',
  failed_logins: 'Failed logins',
  admin_access: 'Admin access',
  ml_outlier: 'ML outlier',
};

/** What a reason's count counts, as a plural noun. */
const COUNT_NOUNS: Readonly<Record<string, string>> = {
  high_volume: 'requests',
  brute_force: 'requests',
  sensitive_paths: 'sensitive-path hits',
  failed_logins: 'failed logins',
  admin_access: 'admin-path hits',
};

/** The label of a reason code: `failed_logins` → `Failed logins`. */
export function reasonLabel(reason: string): string {
  return REASON_LABELS[reason] ?? reason;
}

/** The window length in minutes: live flags carry `{ minutes }`, monitor flags `{ start, end }`. */
export function windowMinutes(window: FlagDetails['window']): number | undefined {
  if (typeof window === 'number') return window >= 60_000 ? Math.round(window / 60_000) : window;
  if (typeof window !== 'object' || window === null) return undefined;
  if (typeof window.minutes === 'number') return window.minutes;
  if (typeof window.start === 'string' && typeof window.end === 'string') {
    const ms = Date.parse(window.end) - Date.parse(window.start);
    return Number.isFinite(ms) && ms > 0 ? Math.round(ms / 60_000) : undefined;
  }
  return undefined;
}

/**
 * One line of evidence for a flag: `30 failed logins in 60 min (> 10)`, or for `ml_outlier`
 * `anomaly score 0.82 (≥ 0.7) over 240 requests`. Falls back to the request count.
 */
export function evidenceSummary(
  flag: Pick<Flag, 'reason' | 'details' | 'request_count'>,
  locale?: string,
): string {
  const { details } = flag;
  const count = typeof details.count === 'number' ? details.count : flag.request_count;
  const n = (value: number) => formatNumber(value, locale);
  if (flag.reason === 'ml_outlier') {
    const score = typeof details.score === 'number' ? n(details.score) : '?';
    const threshold = typeof details.threshold === 'number' ? ` (≥ ${n(details.threshold)})` : '';
    return `anomaly score ${score}${threshold} over ${n(count)} requests`;
  }
  const noun = COUNT_NOUNS[flag.reason] ?? 'requests';
  const minutes = windowMinutes(details.window);
  const window = minutes === undefined ? '' : ` in ${n(minutes)} min`;
  const threshold = typeof details.threshold === 'number' ? ` (> ${n(details.threshold)})` : '';
  return `${n(count)} ${noun}${window}${threshold}`;
}

/** The sample paths a flag carries (strings only; at most `max`). */
export function samplePaths(details: FlagDetails, max = 5): string[] {
  if (!Array.isArray(details.samplePaths)) return [];
  return details.samplePaths.filter((path): path is string => typeof path === 'string').slice(0, max);
}
