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

/** What a count takes of one (counter, IP)'s tally: its batch's hits, rules and sample paths. */
interface Counted {
  key: string;
  ip: string;
  hits: number;
  rules: Rule[];
  samplePaths: string[];
}

/**
 * One (counter, IP)'s tally, kept from batch to batch while its client keeps coming (see
 * {@link LiveDetector.flush}); only the first `ruleCount` rules and `pathCount` paths are this
 * batch's. Reused rather than made anew each batch: at full load every client has a tally that
 * would outlive several young-generation collections, each one copied until promoted.
 */
interface Tally {
  key: string;
  ip: string;
  hits: number;
  rules: Rule[];
  ruleCount: number;
  samplePaths: string[];
  pathCount: number;
  /** The `observe` call that last counted a hit here: a record counts once per counter. */
  lastRecord: number;
  /** Counts in a row without a hit; the tally is dropped at {@link IDLE_COUNTS}. */
  idle: number;
}

const BUCKET_MS = 60_000;
const MAX_SAMPLES = 5;
/** Counts (1 s at the default interval) a tally is kept without a hit before it is dropped. */
const IDLE_COUNTS = 5;

/**
 * `detect:<counter>:<ip>` as one flat string, for keys that are kept: the tally's, and the window
 * store's for up to an hour. A template literal is a rope of three V8 cons strings (96 bytes) that
 * also keeps the IP's own string alive; `join` copies into one string. 200,000 keys in a `Map`:
 * 18.5 against 39.7 MB of heap (issue 8; the window store holds up to `LIVE_KEYS_CAP`).
 */
function counterKey(counter: string, ip: string): string {
  return ['detect', counter, ip].join(':');
}

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
  /** Tallies by counter key (`detect:<counter>:<ip>`): this batch's, and recently idle ones. */
  readonly #tallies = new Map<string, Tally>();
  /** Hits tallied since the last flush. */
  #pendingHits = 0;
  /** Numbers the observed records, for {@link Tally.lastRecord}. */
  #records = 0;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  #failing = false;

  constructor(options: LiveDetectorOptions) {
    this.#options = { intervalMs: 200, now: Date.now, ...options };
  }

  /** Tallies held, this batch's and recently idle ones (for tests and memory checks). */
  get size(): number {
    return this.#tallies.size;
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
    if (this.#timer === null && this.#pendingHits > 0) {
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
    const batch = this.#take();
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
        key = `detect:${counter}:${ip}`; // the text of counterKey(), as a short-lived rope for the lookup
      }
      let tally = this.#tallies.get(key);
      if (tally === undefined) {
        // Arrays built with their first element: `[]` then push reserves 17 slots, and most
        // tallies (one client in a 200 ms batch) never get a second.
        tally = {
          key: counterKey(counter, ip),
          ip,
          hits: 0,
          rules: [rule],
          ruleCount: 0,
          samplePaths: [path],
          pathCount: 0,
          lastRecord: 0,
          idle: 0,
        };
        this.#tallies.set(tally.key, tally);
      }
      if (!firstOf(tally.rules, tally.ruleCount, rule)) setAt(tally.rules, tally.ruleCount++, rule);
      if (tally.lastRecord === seq) continue; // a record counts once per counter, whichever rules share it
      tally.lastRecord = seq;
      tally.hits++;
      this.#pendingHits++;
      if (tally.pathCount < MAX_SAMPLES && !firstOf(tally.samplePaths, tally.pathCount, path)) {
        setAt(tally.samplePaths, tally.pathCount++, path);
      }
    }
  }

  /**
   * This batch's tallies, copied for the count, and every tally emptied for the next batch: the
   * copies die young, while the tallies of clients that keep coming are reused. Tallies idle for
   * {@link IDLE_COUNTS} counts are dropped, so memory follows the clients of the last second.
   */
  #take(): Counted[] {
    const batch: Counted[] = [];
    for (const [key, tally] of this.#tallies) {
      if (tally.hits === 0) {
        if (++tally.idle >= IDLE_COUNTS) this.#tallies.delete(key);
        continue;
      }
      batch.push({
        key,
        ip: tally.ip,
        hits: tally.hits,
        rules: tally.rules.slice(0, tally.ruleCount),
        samplePaths: tally.samplePaths.slice(0, tally.pathCount),
      });
      tally.hits = 0;
      tally.ruleCount = 0;
      tally.pathCount = 0;
      tally.idle = 0;
    }
    this.#pendingHits = 0;
    return batch;
  }

  async #count(entries: Counted[]): Promise<void> {
    if (entries.length === 0) return;
    const { rules } = this.#options;
    const now = this.#options.now();
    const minute = Math.floor(now / BUCKET_MS);
    const windowBuckets = Math.max(1, Math.round(rules.windowMs / BUCKET_MS));
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

  async #flag(entry: Counted, rule: Rule, sum: number, now: number, windowBuckets: number): Promise<void> {
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

/** Whether `value` is among the first `count` items of `list`. */
function firstOf<T>(list: readonly T[], count: number, value: T): boolean {
  for (let i = 0; i < count; i++) if (list[i] === value) return true;
  return false;
}

/** Sets `list[index]`, growing it by one when `index` is its length (never leaves a hole). */
function setAt<T>(list: T[], index: number, value: T): void {
  if (index < list.length) list[index] = value;
  else list.push(value);
}
