import type { Logger } from '../log.js';
import type { AccessRecord } from '../store/index.js';
import type { AutoBlocker } from './auto-block.js';
import type { FlagStore } from './flag-store.js';
import type { Rule, RuleSet } from './rules.js';
import type { WindowCounts } from './window-counts.js';

export interface LiveDetectorOptions {
  rules: RuleSet;
  /** Where the windows are counted: in this process, or on a Redis shared with other instances. */
  windows: WindowCounts;
  flags: FlagStore;
  autoBlocker: AutoBlocker;
  logger: Logger;
  /** How often observed records are counted (ms); a threshold crossing is flagged within this + one round trip. */
  intervalMs?: number;
  now?: () => number;
}

interface Pending {
  key: string;
  rules: Rule[];
  ip: string;
  hits: number;
  samplePaths: string[];
  /** The `observe` call that last counted a hit here: a record counts once per counter. */
  lastRecord: number;
}

const BUCKET_MS = 60_000;
const MAX_SAMPLES = 5;

/**
 * Live detection: sliding-window counters per (rule, IP) in per-minute buckets (see
 * {@link WindowCounts}: in process, or on a shared Redis so several instances count together).
 * `observe()` runs on the request path and adds the record to its (rule counter, IP) tallies at once,
 * a µs or two, so no record is kept and no batch of them is matched in one go (README
 * "Performance"); every `intervalMs` (default 200) the tallies are counted in one call. When a
 * window's sum exceeds the rule's threshold the IP is flagged, within a second of crossing.
 */
export class LiveDetector {
  readonly #options: Required<Pick<LiveDetectorOptions, 'intervalMs' | 'now'>> & LiveDetectorOptions;
  /** Tallies since the last flush, by counter key (`detect:<counter>:<ip>`). */
  #pending = new Map<string, Pending>();
  /** Numbers the observed records, for {@link Pending.lastRecord}. */
  #records = 0;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  #failing = false;

  constructor(options: LiveDetectorOptions) {
    this.#options = { intervalMs: 200, now: Date.now, ...options };
  }

  /** Replaces the rules (settings changed); counting windows already in the store carry on. */
  setRules(rules: RuleSet): void {
    this.#options.rules = rules;
  }

  /** Tallies a record for the next count: matches its rules, never throws, keeps nothing of it but its tallies. */
  observe(record: AccessRecord): void {
    try {
      this.#tally(record);
    } catch (err) {
      // A bug in a rule must not reach the proxy; the hourly monitor still sees the request.
      this.#options.logger.error(
        { 'error.message': (err as Error).message },
        'live detection could not tally a request',
      );
      return;
    }
    if (this.#timer === null && this.#pending.size > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.flush().then(
          () => {
            if (this.#failing) this.#options.logger.info('live detection counting again');
            this.#failing = false;
          },
          (err: Error) => {
            // Logged once per outage (a shared Redis down): hits in between are not counted live;
            // the hourly monitor still sees them in the request log.
            if (!this.#failing)
              this.#options.logger.error({ 'error.message': err.message }, 'live detection failed');
            this.#failing = true;
          },
        );
      }, this.#options.intervalMs);
      this.#timer.unref();
    }
  }

  /** Counts everything tallied so far and raises the flags it calls for. Serialised. */
  flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    const run = this.#running.then(() => this.#count(batch));
    this.#running = run.catch(() => undefined); // a failed batch (Redis down) must not stop the next
    return run;
  }

  /** Stops the timer and counts what is tallied. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.flush().catch((err: Error) =>
      this.#options.logger.warn({ 'error.message': err.message }, 'last live-detection batch not counted'),
    );
  }

  #tally(record: AccessRecord): void {
    const matching = this.#options.rules.matching(record);
    if (matching.length === 0) return;
    const seq = ++this.#records;
    const ip = record.source.ip;
    const path = record.url.path;
    let counter = '';
    let key = '';
    for (const rule of matching) {
      if (rule.counter !== counter) {
        counter = rule.counter;
        key = `detect:${counter}:${ip}`;
      }
      const entry = this.#pending.get(key);
      if (entry === undefined) {
        // Arrays built with their first element: `[]` then push reserves 17 slots, and most
        // entries (one client in a 200 ms batch) never get a second.
        this.#pending.set(key, { key, rules: [rule], ip, hits: 1, samplePaths: [path], lastRecord: seq });
        continue;
      }
      if (!entry.rules.includes(rule)) entry.rules.push(rule);
      if (entry.lastRecord === seq) continue; // a record counts once per counter, whichever rules share it
      entry.lastRecord = seq;
      entry.hits++;
      if (entry.samplePaths.length < MAX_SAMPLES && !entry.samplePaths.includes(path)) {
        entry.samplePaths.push(path);
      }
    }
  }

  async #count(pending: Map<string, Pending>): Promise<void> {
    if (pending.size === 0) return;
    const { rules } = this.#options;
    const now = this.#options.now();
    const minute = Math.floor(now / BUCKET_MS);
    const windowBuckets = Math.max(1, Math.round(rules.windowMs / BUCKET_MS));
    const entries = [...pending.values()];
    const sums = await this.#options.windows.add(entries, minute, windowBuckets);
    // Raised together, so the state store writes them in one commit rather than one file each.
    const raising: Promise<void>[] = [];
    // Tallied under the rules of their requests' time; judged by the rules now in force, so a
    // threshold raised or a rule removed by a settings change in between applies at once.
    const current = new Map(rules.rules.map((rule) => [rule.reason, rule]));
    entries.forEach((entry, i) => {
      const sum = sums[i] ?? 0;
      for (const tallied of entry.rules) {
        const rule = current.get(tallied.reason);
        if (rule === undefined) continue;
        // Most sightings of an already flagged client change nothing: skip building their evidence.
        if (sum > rule.threshold && this.#options.flags.wouldChange(entry.ip, rule.reason, sum, now))
          raising.push(this.#flag(entry, rule, sum, now, windowBuckets));
      }
    });
    await Promise.all(raising);
  }

  async #flag(entry: Pending, rule: Rule, sum: number, now: number, windowBuckets: number): Promise<void> {
    const { flags, autoBlocker, logger } = this.#options;
    const outcome = await flags.raise(
      {
        ip: entry.ip,
        reason: rule.reason,
        count: sum,
        seenAt: now,
        details: {
          source: 'live',
          count: sum,
          threshold: rule.threshold,
          window: { minutes: windowBuckets, end: new Date(now).toISOString() },
          samplePaths: entry.samplePaths,
        },
      },
      'rule:live',
    );
    if (outcome === 'created') {
      logger.warn(
        { 'source.ip': entry.ip, 'rule.name': rule.reason, count: sum, threshold: rule.threshold },
        `flagged ${entry.ip}: ${rule.reason} (${sum} > ${rule.threshold} in ${windowBuckets} min)`,
      );
      await autoBlocker.consider(entry.ip);
    }
  }
}
