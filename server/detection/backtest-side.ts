import { compilePathPattern, normalisePath, type PathPattern } from '../net/index.js';
import type { Settings } from '../settings.js';
import type { AccessRecord } from '../store/index.js';
import { RateLimitReplay, type ReplayedLimit } from './rate-limit-replay.js';
import { compileRules, type FlagReason, type RuleSet } from './rules.js';
import { WindowEvaluator, type WindowFinding } from './window-evaluator.js';

/** One reason an IP would be flagged for over a backtest range, with the evidence of its first window. */
export interface BacktestReason {
  reason: FlagReason;
  /** The largest count in one window (requests; for ml_outlier, the window's requests). */
  count: number;
  threshold?: number;
  score?: number;
  /** Windows in which the reason fired. */
  windows: number;
  /** When it would first have fired (ISO 8601): the record that crossed the threshold; ml_outlier: its window's end. */
  firstAt: string;
  /** The first window's evidence, as a flag would carry it (window, sample paths or features). */
  details: Record<string, unknown>;
}

/** What one set of settings would have done over the range. */
export interface SideOutcome {
  /** Per flagged IP: its reasons. */
  flagged: Map<string, BacktestReason[]>;
  /** Per flagged IP: successful logins at or after its first flag. */
  laterLogins: Map<string, number>;
  rateLimited: ReplayedLimit[];
  windows: number;
  records: number;
  /** Records that arrived after their window had closed (a day's record in a later day's segment). */
  lateRecords: number;
}

/** Reads-only view of the lists: allowlisted IPs are never flagged nor limited (DESIGN.md "Detection"). */
export interface AllowlistView {
  isAllowlisted(ip: string): boolean;
}

const FORM_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * One side of a backtest (the settings in force, or the candidate): the monitor's windows of
 * `detection.window` ms aligned to the epoch (for the default 1h exactly the clock hours of
 * `ipwarden monitor --since`), each evaluated by {@link WindowEvaluator}; the rate-limit rules
 * replayed; successful logins (a login path, a method other than GET/HEAD/OPTIONS, answered 2xx/3xx
 * and not a configured failure status) counted per IP after the IP's first flag.
 * Records come in log order: UTC day segments oldest first, in any order within a segment (an import
 * can add older lines to a day). The caller closes windows at each new day, so memory holds one
 * day's windows of per-IP counts, plus the flagged IPs.
 */
export class BacktestSide {
  readonly rules: RuleSet;
  readonly since: number;
  readonly until: number;
  readonly #settings: Settings;
  readonly #allow: AllowlistView;
  readonly #open = new Map<number, WindowEvaluator>();
  readonly #flagged = new Map<string, Map<FlagReason, BacktestReason>>();
  readonly #firstFlag = new Map<string, number>();
  /** `${ip} ${reason}` → first firing (ms); only IPs that crossed a threshold are here. */
  readonly #crossedAt = new Map<string, number>();
  readonly #laterLogins = new Map<string, number>();
  /** Successful logins not yet compared with flag times (their window is still open). */
  #pendingLogins: { ip: string; at: number }[] = [];
  readonly #login: PathPattern[];
  readonly #failed: Set<number>;
  readonly #replay: RateLimitReplay;
  /** Set when the other side has the same ML inputs: its forest's findings are reused, not refitted. */
  readonly #mlSource: BacktestSide | undefined;
  /** ML findings per window start, kept for a side that reuses them until it takes them. */
  readonly #mlLent = new Map<number, WindowFinding[]>();
  #lendsMl = false;
  #closedBefore = Number.NEGATIVE_INFINITY;
  #windows = 0;
  #records = 0;
  #late = 0;

  /**
   * `allow`: the allowlist; `ipv6Prefix`: the network size IPv6 clients are rate-limited by;
   * `mlSource`: the other side, when the Isolation Forest's inputs are the same (see
   * {@link sameMlInputs}) — the forest is seeded, so its findings would be identical.
   */
  constructor(
    settings: Settings,
    range: { since: Date; until: Date },
    reads: { allow: AllowlistView; ipv6Prefix: number; mlSource?: BacktestSide | undefined },
  ) {
    const { allow, mlSource } = reads;
    this.#settings = settings;
    this.#allow = allow;
    this.#mlSource = mlSource;
    if (mlSource) mlSource.#lendsMl = true;
    this.rules = compileRules(settings.detection);
    const w = settings.detection.window;
    this.since = Math.floor(range.since.getTime() / w) * w;
    this.until = Math.ceil(range.until.getTime() / w) * w;
    this.#login = settings.detection.loginPaths.map(compilePathPattern);
    this.#failed = new Set([...settings.detection.failedLoginStatuses, 429]);
    this.#replay = new RateLimitReplay(settings.rateLimits, reads.ipv6Prefix);
  }

  /** Counts one record whose timestamp is `at` (ms). Records of an already closed window are ignored. */
  add(record: AccessRecord, at: number): void {
    if (at < this.since || at >= this.until) return;
    const w = this.#settings.detection.window;
    const start = Math.floor(at / w) * w;
    if (start < this.#closedBefore) {
      this.#late++;
      return;
    }
    this.#records++;
    let window = this.#open.get(start);
    if (!window) {
      const ml = this.#settings.detection.ml;
      window = new WindowEvaluator(this.rules, this.#mlSource ? { ...ml, enabled: false } : ml, {
        since: new Date(start),
        until: new Date(start + w),
      });
      this.#open.set(start, window);
    }
    const ip = record.source.ip;
    const crossed = window.add(record);
    if (this.#allow.isAllowlisted(ip)) return;
    for (const reason of crossed) this.#flaggedAt(ip, reason, at);
    if (record.event.action !== 'blocked') this.#replay.add(record, at);
    if (this.#isSuccessfulLogin(record)) this.#pendingLogins.push({ ip, at });
  }

  /**
   * Closes every window that ends by `before` (ms; Infinity at the end of the range) and counts
   * the successful logins that came after their IP's first flag.
   */
  close(before: number): void {
    const starts = [...this.#open.keys()].sort((a, b) => a - b);
    for (const start of starts) {
      const window = this.#open.get(start) as WindowEvaluator;
      if (window.until.getTime() > before) break;
      this.#open.delete(start);
      this.#closedBefore = window.until.getTime();
      this.#windows++;
      const end = window.until.getTime();
      for (const finding of window.ruleFindings()) this.#record(finding, end);
      const ml = this.#mlSource ? this.#mlSource.#takeMl(start) : window.mlFindings();
      if (this.#lendsMl) this.#mlLent.set(start, ml);
      for (const finding of ml) this.#record(finding, end);
    }
    const pending: { ip: string; at: number }[] = [];
    for (const login of this.#pendingLogins) {
      if (login.at >= this.#closedBefore) pending.push(login);
      else if (login.at >= (this.#firstFlag.get(login.ip) ?? Number.POSITIVE_INFINITY)) {
        this.#laterLogins.set(login.ip, (this.#laterLogins.get(login.ip) ?? 0) + 1);
      }
    }
    this.#pendingLogins = pending;
    if (Number.isFinite(before)) this.#replay.prune(before);
  }

  /** The outcome, after `close(Infinity)`. */
  outcome(): SideOutcome {
    const flagged = new Map<string, BacktestReason[]>();
    for (const [ip, reasons] of this.#flagged) flagged.set(ip, [...reasons.values()]);
    return {
      flagged,
      laterLogins: this.#laterLogins,
      rateLimited: this.#replay.limited(),
      windows: this.#windows,
      records: this.#records,
      lateRecords: this.#late,
    };
  }

  #record(finding: WindowFinding, windowEnd: number): void {
    if (this.#allow.isAllowlisted(finding.ip)) return;
    let reasons = this.#flagged.get(finding.ip);
    if (!reasons) {
      reasons = new Map();
      this.#flagged.set(finding.ip, reasons);
    }
    const existing = reasons.get(finding.reason);
    if (existing) {
      existing.windows++;
      existing.count = Math.max(existing.count, finding.count);
      return;
    }
    if (finding.reason === 'ml_outlier') this.#flaggedAt(finding.ip, 'ml_outlier', windowEnd);
    const firstAt = this.#crossedAt.get(`${finding.ip} ${finding.reason}`) ?? windowEnd;
    reasons.set(finding.reason, {
      reason: finding.reason,
      count: finding.count,
      threshold: finding.threshold,
      score: finding.score === undefined ? undefined : Math.round(finding.score * 1000) / 1000,
      windows: 1,
      firstAt: new Date(firstAt).toISOString(),
      details: finding.details,
    });
  }

  #takeMl(start: number): WindowFinding[] {
    const findings = this.#mlLent.get(start) ?? [];
    this.#mlLent.delete(start);
    return findings;
  }

  /** Remembers the first moment (ip, reason) fired, and the IP's first flag of any reason. */
  #flaggedAt(ip: string, reason: FlagReason, at: number): void {
    const key = `${ip} ${reason}`;
    if (!this.#crossedAt.has(key)) this.#crossedAt.set(key, at);
    if (at < (this.#firstFlag.get(ip) ?? Number.POSITIVE_INFINITY)) this.#firstFlag.set(ip, at);
  }

  #isSuccessfulLogin(record: AccessRecord): boolean {
    const status = record.http.response.status_code;
    if (status < 200 || status >= 400 || this.#failed.has(status)) return false;
    if (FORM_METHODS.has(record.http.request.method.toUpperCase())) return false;
    const path = normalisePath(record.url.path);
    return this.#login.some((p) => p.matches(path));
  }
}

/** True when two settings give the Isolation Forest the same input: ML settings, window, sensitive paths (a feature). */
export function sameMlInputs(a: Settings, b: Settings): boolean {
  const inputs = (s: Settings) =>
    JSON.stringify([s.detection.ml, s.detection.window, s.detection.sensitivePaths]);
  return inputs(a) === inputs(b);
}
