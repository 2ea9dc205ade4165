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
  now?: () => number;
}

interface Pending {
  rule: Rule;
  ip: string;
  hits: number;
  samplePaths: string[];
}

const BUCKET_MS = 60_000;
const MAX_SAMPLES = 5;

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
        this.flush().catch((err: Error) =>
          this.#options.logger.error({ 'error.message': err.message }, 'live detection failed'),
        );
      }, this.#options.intervalMs);
      this.#timer.unref();
    }
  }

  /** Counts everything queued so far and raises the flags it calls for. Serialised. */
  flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    this.#running = this.#running.then(() => this.#count(batch));
    return this.#running;
  }

  /** Stops the timer and counts what is queued. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  async #count(batch: AccessRecord[]): Promise<void> {
    if (batch.length === 0) return;
    const { rules, counters, flags, autoBlocker, logger } = this.#options;
    const pending = new Map<string, Pending>();
    for (const record of batch) {
      for (const rule of rules.matching(record)) {
        const key = `${rule.reason} ${record.source.ip}`;
        let entry = pending.get(key);
        if (!entry) {
          entry = { rule, ip: record.source.ip, hits: 0, samplePaths: [] };
          pending.set(key, entry);
        }
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
    for (const entry of entries) {
      const key = `detect:${entry.rule.reason}:${entry.ip}`;
      pipeline.hincrby(key, String(minute), entry.hits);
      pipeline.pexpire(key, rules.windowMs + BUCKET_MS);
      pipeline.hgetall(key);
    }
    const results = (await pipeline.exec()) ?? [];
    for (const [i, entry] of entries.entries()) {
      const [err, buckets] = results[i * 3 + 2] ?? [new Error('no reply'), null];
      if (err) throw err;
      const { sum, stale } = sumWindow(buckets as Record<string, string>, minute, windowBuckets);
      if (stale.length > 0)
        counters.hdel(`detect:${entry.rule.reason}:${entry.ip}`, ...stale).catch(() => undefined);
      if (sum <= entry.rule.threshold) continue;
      const outcome = await flags.raise(
        {
          ip: entry.ip,
          reason: entry.rule.reason,
          count: sum,
          seenAt: now,
          details: {
            source: 'live',
            count: sum,
            threshold: entry.rule.threshold,
            window: { minutes: windowBuckets, end: new Date(now).toISOString() },
            samplePaths: entry.samplePaths,
          },
        },
        'rule:live',
      );
      if (outcome === 'created') {
        logger.warn(
          {
            'source.ip': entry.ip,
            'rule.name': entry.rule.reason,
            count: sum,
            threshold: entry.rule.threshold,
          },
          `flagged ${entry.ip}: ${entry.rule.reason} (${sum} > ${entry.rule.threshold} in ${windowBuckets} min)`,
        );
        await autoBlocker.consider(entry.ip);
      }
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
