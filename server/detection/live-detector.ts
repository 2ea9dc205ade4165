import { LRUCache } from 'lru-cache';
import type { Logger } from '../log.js';
import type { AccessRecord, CountersClient } from '../store/index.js';
import type { AutoBlocker } from './auto-block.js';
import type { FlagStore } from './flag-store.js';
import type { Rule, RuleSet } from './rules.js';

export interface LiveDetectorOptions {
  rules: RuleSet;
  counters: CountersClient;
  flags: FlagStore;
  autoBlocker: AutoBlocker;
  logger: Logger;
  /** How often observed records are counted (ms); a threshold crossing is flagged within this + one round trip. */
  intervalMs?: number;
  /** True when the counters store is shared with other instances (a real Redis). */
  shared?: boolean;
  now?: () => number;
}

interface Pending {
  key: string;
  rules: Rule[];
  ip: string;
  hits: number;
  samplePaths: string[];
}

const BUCKET_MS = 60_000;
const MAX_SAMPLES = 5;
/**
 * Counter keys whose window sum and TTL refresh are remembered locally (each cache). Forgetting one
 * only costs a store read or a repeated PEXPIRE, so this bounds memory, not correctness (issue 8).
 */
export const LIVE_KEYS_CACHED = 50_000;

/**
 * Live detection: sliding-window counters per (rule, IP) on the counters store, so several
 * instances sharing a Redis count together. `observe()` runs on the request path and only queues
 * the record; every `intervalMs` (default 200) the queue is aggregated and counted in one pipeline
 * of per-minute hash buckets (`detect:<reason>:<ip>` → { minute: hits }, expiring after the window).
 * When a window's sum exceeds the rule's threshold the IP is flagged, within a second of crossing.
 */
export class LiveDetector {
  readonly #options: Required<Pick<LiveDetectorOptions, 'intervalMs' | 'now'>> & LiveDetectorOptions;
  #queue: AccessRecord[] = [];
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  #failing = false;
  /** Last known window sum per counter key (embedded mode), bounded: see #mustRead. */
  readonly #bounds = new LRUCache<string, { sum: number; minute: number }>({ max: LIVE_KEYS_CACHED });
  /** The minute each counter key's TTL was last refreshed. */
  readonly #expiresSet = new LRUCache<string, number>({ max: LIVE_KEYS_CACHED });

  constructor(options: LiveDetectorOptions) {
    this.#options = { intervalMs: 200, now: Date.now, ...options };
  }

  /** Replaces the rules (settings changed); counting windows already in the store carry on. */
  setRules(rules: RuleSet): void {
    this.#options.rules = rules;
  }

  /** Queues a record for counting; O(1), never throws. */
  observe(record: AccessRecord): void {
    this.#queue.push(record);
    if (this.#timer === null) {
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

  /** Counts everything queued so far and raises the flags it calls for. Serialised. */
  flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    const run = this.#running.then(() => this.#count(batch));
    this.#running = run.catch(() => undefined); // a failed batch (Redis down) must not stop the next
    return run;
  }

  /** Stops the timer and counts what is queued. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.flush().catch((err: Error) =>
      this.#options.logger.warn({ 'error.message': err.message }, 'last live-detection batch not counted'),
    );
  }

  async #count(batch: AccessRecord[]): Promise<void> {
    if (batch.length === 0) return;
    const { rules, counters } = this.#options;
    const pending = new Map<string, Pending>();
    for (const record of batch) {
      const counted: string[] = [];
      for (const rule of rules.matching(record)) {
        const key = `detect:${rule.counter}:${record.source.ip}`;
        let entry = pending.get(key);
        if (!entry) {
          entry = { key, rules: [], ip: record.source.ip, hits: 0, samplePaths: [] };
          pending.set(key, entry);
        }
        if (!entry.rules.includes(rule)) entry.rules.push(rule);
        if (counted.includes(key)) continue; // a record counts once per counter, whichever rules share it
        counted.push(key);
        entry.hits++;
        if (entry.samplePaths.length < MAX_SAMPLES && !entry.samplePaths.includes(record.url.path)) {
          entry.samplePaths.push(record.url.path);
        }
      }
    }
    if (pending.size === 0) return;
    const now = this.#options.now();
    const minute = Math.floor(now / BUCKET_MS);
    const windowBuckets = Math.max(1, Math.round(rules.windowMs / BUCKET_MS));
    const entries = [...pending.values()];
    const pipeline = counters.pipeline();
    const reads: [Pending, number][] = [];
    let commands = 0;
    for (const entry of entries) {
      pipeline.hincrby(entry.key, String(minute), entry.hits);
      commands++;
      // The TTL outlives the window by a bucket, so refreshing it once per key per minute suffices.
      if (this.#expiresSet.get(entry.key) !== minute) {
        pipeline.pexpire(entry.key, rules.windowMs + BUCKET_MS);
        this.#expiresSet.set(entry.key, minute);
        commands++;
      }
      if (this.#mustRead(entry, minute, windowBuckets)) {
        pipeline.hgetall(entry.key);
        reads.push([entry, commands++]);
      }
    }
    const results = (await pipeline.exec()) ?? [];
    // Raised together, so the state store writes them in one commit rather than one file each.
    const raising: Promise<void>[] = [];
    for (const [entry, index] of reads) {
      const [err, buckets] = results[index] ?? [new Error('no reply'), null];
      if (err) throw err;
      const { sum, stale } = sumWindow(buckets as Record<string, string>, minute, windowBuckets);
      this.#bounds.set(entry.key, { sum, minute });
      if (stale.length > 0) counters.hdel(entry.key, ...stale).catch(() => undefined);
      for (const rule of entry.rules) {
        if (sum > rule.threshold) raising.push(this.#flag(entry, rule, sum, now, windowBuckets));
      }
    }
    await Promise.all(raising);
  }

  /**
   * Whether the window sum must be read. Embedded (not shared), the sum can only have grown by this
   * batch's hits since the last read, so a key whose bound stays at or under every threshold is
   * not read; a read at least once per window prunes stale buckets. Shared, other instances add
   * hits too, so every key is read.
   */
  #mustRead(entry: Pending, minute: number, windowBuckets: number): boolean {
    if (this.#options.shared) return true;
    const bound = this.#bounds.get(entry.key);
    if (bound === undefined || minute - bound.minute >= windowBuckets) return true;
    const upper = bound.sum + entry.hits;
    if (entry.rules.some((rule) => upper > rule.threshold)) return true;
    bound.sum = upper;
    return false;
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

/** Sums the per-minute buckets inside the window ending at `minute`; lists buckets that fell out. */
function sumWindow(
  buckets: Record<string, string> | null,
  minute: number,
  windowBuckets: number,
): { sum: number; stale: string[] } {
  let sum = 0;
  const stale: string[] = [];
  for (const [field, value] of Object.entries(buckets ?? {})) {
    if (Number(field) > minute - windowBuckets) sum += Number(value);
    else stale.push(field);
  }
  return { sum, stale };
}
