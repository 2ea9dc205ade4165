import { LRUCache } from 'lru-cache';
import type { CountersClient } from '../store/index.js';

const MINUTE_MS = 60_000;
/**
 * Counter keys held at most: the TTL-refresh cache of {@link RedisWindowCounts} and the keys of
 * `MemoryWindowCounts` (memory-window-counts.ts; least recently counted dropped first). A key is one (rule, IP) pair, so
 * this bounds live detection's memory whatever the number of client IPs (issue 8); an IP dropped
 * here is still judged by the hourly monitor, which reads the request log. 2^17: V8 sizes a `Map`'s
 * table in powers of two and doubles it when deleted entries fill it while more than half its
 * entries are live, so any cap above 2^17 keys under churn takes a 2^19-entry table (14.7 MB)
 * where 2^17 keeps a 2^18 one (7.3 MB). With ~200 bytes a key in all, the cap holds ~26 MB.
 */
export const LIVE_KEYS_CAP = 2 ** 17;

/** Hits to add to one counter key in this batch; `key` is `detect:<counter>:<ip>`. */
export interface WindowHit {
  key: string;
  hits: number;
}

/**
 * Sliding-window hit counts per key, in per-minute buckets: the live detector's counters. `add`
 * adds each key's hits to the bucket of `minute` and answers each key's sum over the `windowBuckets`
 * minutes ending at `minute` (that one included), in the order of `batch`. Buckets older than the
 * window no longer count and are dropped.
 */
export interface WindowCounts {
  add(batch: readonly WindowHit[], minute: number, windowBuckets: number): Promise<number[]>;
}

/**
 * Window counts on the counters store (a shared Redis): one hash per key, `{ minute: hits }`,
 * expiring a bucket after the window, so every instance sharing the Redis counts together. One
 * pipeline per batch: HINCRBY per key, PEXPIRE once per key per minute, HGETALL per key.
 */
export class RedisWindowCounts implements WindowCounts {
  readonly #counters: CountersClient;
  /** The minute each key's TTL was last refreshed (the TTL outlives the window by a bucket). */
  readonly #expiresSet = new LRUCache<string, number>({ max: LIVE_KEYS_CAP });

  constructor(counters: CountersClient) {
    this.#counters = counters;
  }

  async add(batch: readonly WindowHit[], minute: number, windowBuckets: number): Promise<number[]> {
    const pipeline = this.#counters.pipeline();
    const reads: number[] = [];
    let commands = 0;
    for (const { key, hits } of batch) {
      pipeline.hincrby(key, String(minute), hits);
      commands++;
      if (this.#expiresSet.get(key) !== minute) {
        pipeline.pexpire(key, (windowBuckets + 1) * MINUTE_MS);
        this.#expiresSet.set(key, minute);
        commands++;
      }
      pipeline.hgetall(key);
      reads.push(commands++);
    }
    const results = (await pipeline.exec()) ?? [];
    return batch.map(({ key }, i) => {
      const [err, buckets] = results[reads[i] as number] ?? [new Error('no reply'), null];
      if (err) throw err;
      let sum = 0;
      const stale: string[] = [];
      for (const [field, value] of Object.entries((buckets as Record<string, string> | null) ?? {})) {
        if (Number(field) > minute - windowBuckets) sum += Number(value);
        else stale.push(field);
      }
      if (stale.length > 0) this.#counters.hdel(key, ...stale).catch(() => undefined);
      return sum;
    });
  }
}
