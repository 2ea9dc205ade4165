import { LRUCache } from 'lru-cache';
import type { CountedRequest } from './access-record.js';
import { compileFilter } from './request-filter.js';
import { matchBatches, type ReadCounters } from './request-query.js';
import {
  checkSummariseOptions,
  type RequestStats,
  RequestStatsAccumulator,
  type SummariseOptions,
  summariseRequests,
  type TimeRange,
} from './request-stats.js';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** Path slots per hourly rollup (top × 100 in the accumulator); beyond this, path counts are estimates. */
const HOUR_TOP = 100;
/** Hours kept in memory: eight days covers the UI's 7-day range. */
const HOURS_KEPT = 24 * 8;

/**
 * Summaries served from per-hour rollups, so the dashboard's views do not re-read every record.
 * A rollup is the full summary of one clock hour (counts, per-minute timeline, countries, status
 * codes, per-IP counts, top paths). Missing hours are built by one pass over the log for the whole
 * span needed; from then on every record the writer puts on disk is added to its hour's rollup as
 * it is written, so cached hours stay exact, the current one included. The writer keeps a pending
 * record's counts only for hours that are cached or being built ({@link countsWanted}): a build
 * first flushes the log, so the records appended before it are on disk for its scan, and a write
 * that begins while it scans makes the hour unreliable ({@link writing}). Range edges
 * that are not whole hours are scanned, except a range that ends at or after the last write, whose
 * last partial hour is its rollup. Memory: at most 8 days of hours (LRU); a longer range is
 * summarised by one scan, whatever its length.
 */
export class RollupCache {
  readonly #dir: string;
  readonly #counters: ReadCounters;
  readonly #now: () => number;
  readonly #hours = new LRUCache<number, RequestStatsAccumulator>({ max: HOURS_KEPT });
  /**
   * Hours being built: `flushing` while the log writes what was appended before the build (those
   * lines are in the scan), `scanning` while the log is read, `unreliable` once a write landed
   * during the scan (it may or may not be in it: the hour is built again later).
   */
  readonly #building = new Map<number, 'flushing' | 'scanning' | 'unreliable'>();
  /** Builds in progress (from other callers), awaited before their hours are used. */
  readonly #builds = new Set<Promise<void>>();
  /** Writes what the log has pending (the request log writer's flush); never rejects. */
  readonly #flushLog: () => Promise<void>;
  /** The newest @timestamp (ms) in any rollup: nothing later is in the cached hours. */
  #latest = 0;
  /**
   * The last merge of whole past hours, reused while none of them changes: a dashboard polling
   * "the last 24 hours" then merges only the current hour each time.
   */
  #merged: { key: string; first: number; end: number; accumulator: RequestStatsAccumulator } | null = null;

  constructor(
    dir: string,
    counters: ReadCounters,
    flushLog: () => Promise<void>,
    now: () => number = Date.now,
  ) {
    this.#dir = dir;
    this.#counters = counters;
    this.#flushLog = flushLog;
    this.#now = now;
  }

  /** True when records of the hour starting at `hourStart` (epoch ms) are to be counted as they are written. */
  countsWanted(hourStart: number): boolean {
    return this.#hours.has(hourStart) || this.#building.has(hourStart);
  }

  /**
   * Adds requests whose records were just written to the log to their hours' rollups. Lines written
   * without counts (`uncountedHours`, appended before their hour was wanted) make a cached hour
   * stale: it is dropped and built again when next needed.
   */
  written(uncountedHours: readonly number[], requests: readonly CountedRequest[]): void {
    for (const start of uncountedHours) {
      if (!this.#wroteDuringBuild(start)) this.#hours.delete(start);
      this.#changed(start);
    }
    for (const request of requests) {
      const at = Date.parse(request.timestamp);
      const start = Math.floor(at / HOUR_MS) * HOUR_MS;
      if (!this.#wroteDuringBuild(start)) this.#hours.get(start)?.addCounted(request, at);
      this.#changed(start);
      if (at > this.#latest) this.#latest = at;
    }
  }

  /**
   * Told before lines of these hours are written: a scan under way may read them before
   * {@link written} is called, so an hour being scanned can no longer be trusted.
   */
  writing(hours: readonly number[]): void {
    for (const start of hours) this.#wroteDuringBuild(start);
  }

  /** True (and the hour marked unreliable if it was being scanned) when `start` is being built. */
  #wroteDuringBuild(start: number): boolean {
    const state = this.#building.get(start);
    if (state === undefined) return false;
    if (state === 'scanning') this.#building.set(start, 'unreliable');
    return true;
  }

  #changed(start: number): void {
    if (this.#merged && start >= this.#merged.first && start < this.#merged.end) this.#merged = null;
  }

  /** Forgets every rollup (after retention deleted segments). */
  clear(): void {
    this.#hours.clear();
    this.#merged = null;
  }

  /**
   * The same answer as a full scan of `[since, until)` (see summariseRequests), from rollups for the
   * whole hours inside the range plus scans of ragged edges. Open-ended ranges fall back to a scan.
   */
  async summarise(range: TimeRange, options: SummariseOptions = {}): Promise<RequestStats> {
    const { since, until } = range;
    if (since === undefined || until === undefined)
      return summariseRequests(this.#dir, range, options, this.#counters);
    const { top, bucketMs } = checkSummariseOptions(options);
    const firstWhole = Math.ceil(since.getTime() / HOUR_MS) * HOUR_MS;
    const untilHour = Math.floor(until.getTime() / HOUR_MS) * HOUR_MS;
    const currentHour = Math.floor(this.#now() / HOUR_MS) * HOUR_MS;
    if (firstWhole >= untilHour + (untilHour === currentHour ? HOUR_MS : 0)) {
      return summariseRequests(this.#dir, range, options, this.#counters);
    }
    if ((untilHour - firstWhole) / HOUR_MS > HOURS_KEPT) {
      // More hours than the cache keeps: rollups of them all would be built (16 KB each, empty or
      // not: 1.9 GB for eleven years), then evicted and scanned again one by one. One pass instead.
      await this.#flushLog();
      return summariseRequests(this.#dir, range, options, this.#counters);
    }
    await Promise.all([...this.#builds]); // an hour another caller is building is awaited, not re-read
    await this.#ensure(firstWhole, untilHour === currentHour ? untilHour + HOUR_MS : untilHour);
    // A range ending in the current hour after the newest record logged may take that hour's
    // rollup whole (nothing later exists); otherwise its last partial hour is scanned.
    const openEnded =
      untilHour === currentHour && this.#hours.has(untilHour) && until.getTime() > this.#latest;
    // Oldest first, as a scan would (an IP's country is the last one seen).
    const total = new RequestStatsAccumulator(top, bucketMs);
    await this.#scanInto(total, since, new Date(firstWhole));
    total.merge(await this.#mergedHours(firstWhole, untilHour, top, bucketMs));
    if (openEnded) await this.#mergeHour(total, untilHour);
    else await this.#scanInto(total, new Date(untilHour), until);
    return total.result(range, top);
  }

  /** The merge of the whole hours [first, end), from the cache when none of them changed since. */
  async #mergedHours(
    first: number,
    end: number,
    top: number,
    bucketMs: number | undefined,
  ): Promise<RequestStatsAccumulator> {
    const key = `${first}:${end}:${top}:${bucketMs}`;
    if (this.#merged?.key === key) return this.#merged.accumulator;
    const accumulator = new RequestStatsAccumulator(top, bucketMs);
    for (let start = first; start < end; start += HOUR_MS) await this.#mergeHour(accumulator, start);
    this.#merged = { key, first, end, accumulator };
    return accumulator;
  }

  async #mergeHour(accumulator: RequestStatsAccumulator, start: number): Promise<void> {
    const rollup = this.#hours.get(start);
    if (rollup) accumulator.merge(rollup);
    else await this.#scanInto(accumulator, new Date(start), new Date(start + HOUR_MS)); // evicted meanwhile
  }

  /** Builds the rollups of every hour in `range` that is not cached yet (e.g. the last day, at start). */
  async warm(range: { since: Date; until: Date }): Promise<void> {
    const first = Math.floor(range.since.getTime() / HOUR_MS) * HOUR_MS;
    await this.#ensure(first, Math.ceil(range.until.getTime() / HOUR_MS) * HOUR_MS);
  }

  /** Builds the missing hours in [first, end) with one pass over the log. */
  async #ensure(first: number, end: number): Promise<void> {
    const build = this.#build(first, end);
    this.#builds.add(build);
    try {
      await build;
    } finally {
      this.#builds.delete(build);
    }
  }

  async #build(first: number, end: number): Promise<void> {
    const missing: number[] = [];
    for (let start = first; start < end; start += HOUR_MS) {
      if (!this.#hours.has(start) && !this.#building.has(start)) missing.push(start);
    }
    if (missing.length === 0) return;
    const built = new Map<number, RequestStatsAccumulator>();
    for (const start of missing) {
      built.set(start, new RequestStatsAccumulator(HOUR_TOP, MINUTE_MS));
      this.#building.set(start, 'flushing');
    }
    try {
      // Records appended before now may be pending without counts: on disk, the scan sees them.
      await this.#flushLog();
      for (const start of missing) this.#building.set(start, 'scanning');
      const from = missing[0] as number;
      const to = (missing.at(-1) as number) + HOUR_MS;
      const filter = compileFilter({ since: new Date(from), until: new Date(to) });
      for await (const matches of matchBatches(this.#dir, filter, 'oldest', this.#counters)) {
        for (const { record } of matches) {
          const at = Date.parse(record['@timestamp']);
          built.get(Math.floor(at / HOUR_MS) * HOUR_MS)?.add(record);
          if (at > this.#latest) this.#latest = at;
        }
      }
      for (const [start, rollup] of built) {
        // A write that landed in this hour during the scan may or may not be in it: build it again later.
        if (this.#building.get(start) === 'scanning') this.#hours.set(start, rollup);
        this.#changed(start);
      }
    } finally {
      for (const start of missing) this.#building.delete(start);
    }
  }

  async #scanInto(accumulator: RequestStatsAccumulator, since: Date, until: Date): Promise<void> {
    if (since.getTime() >= until.getTime()) return;
    const filter = compileFilter({ since, until });
    for await (const matches of matchBatches(this.#dir, filter, 'oldest', this.#counters)) {
      for (const { record } of matches) accumulator.add(record);
    }
  }
}
