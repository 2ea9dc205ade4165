import { type AccessRecord, type CountedRequest, countedRequest } from './access-record.js';
import { DistinctCounter } from './distinct-counter.js';
import { compileFilter } from './request-filter.js';
import { RequestLogQueryError } from './request-log-errors.js';
import { matchBatches, type ReadCounters } from './request-query.js';
import { TopCounter, topEntries } from './top-counter.js';

/** A time range on `@timestamp`: `since` inclusive, `until` exclusive; omitted = unbounded. */
export interface TimeRange {
  since?: Date;
  until?: Date;
}

/** Options of a summary: `top` is the length of each top-N table (default 10, at most 1000). */
export interface SummariseOptions {
  top?: number;
  /** Timeline bucket width in ms (e.g. 60 000 for per-minute); omitted: no timeline. */
  bucketMs?: number;
}

/** Requests in one timeline bucket starting at `t` (ISO), split by action. */
export interface TimelineBucket {
  t: string;
  allowed: number;
  blocked: number;
  rateLimited: number;
}

/**
 * Traffic over a time range. Counts are requests. `topIps[].country` is the ISO code last seen for
 * that address; `topCountries` counts only geolocated requests. `statusCodes` maps "404" to a count.
 * `since`/`until` echo the range as ISO strings (null = unbounded). `approximate` is true when more
 * distinct paths were seen than can be counted exactly, so `topPaths` counts are lower bounds.
 */
export interface RequestStats {
  total: number;
  allowed: number;
  blocked: number;
  rateLimited: number;
  uniqueIps: number;
  topCountries: { code: string; name?: string; count: number }[];
  topIps: { ip: string; count: number; country?: string }[];
  topPaths: { path: string; count: number }[];
  statusCodes: Record<string, number>;
  /** Every country seen, by request count (for a map). */
  countries: { code: string; count: number }[];
  /** Per-bucket counts, oldest first, empty buckets included; [] without `bucketMs`. */
  timeline: TimelineBucket[];
  since: string | null;
  until: string | null;
  approximate: boolean;
}

const DEFAULT_TOP = 10;
const MAX_TOP = 1000;
/** Distinct paths counted exactly before the path table turns approximate. */
const MIN_PATH_CAPACITY = 10_000;
/**
 * Distinct client IPs counted exactly per accumulator (an hourly rollup, a query) before the IP
 * table turns approximate (Misra–Gries, see TopCounter) and `uniqueIps` becomes a HyperLogLog
 * estimate: bounds the memory of the rollups whatever the number of client IPs (issue 8).
 */
export const IP_CAPACITY = 5_000;

interface CountryTally {
  count: number;
  name?: string;
}

/**
 * Folds access records into {@link RequestStats} in bounded memory: the IP and path tables hold at
 * most {@link IP_CAPACITY} and `max(10 000, top·100)` keys, the distinct-IP count 16 KiB.
 */
export class RequestStatsAccumulator {
  #total = 0;
  #allowed = 0;
  #blocked = 0;
  #rateLimited = 0;
  /** Requests per IP; countries are kept apart so merging hourly rollups moves plain numbers. */
  readonly #ips = new TopCounter(IP_CAPACITY);
  readonly #distinctIps = new DistinctCounter();
  /**
   * Country of each IP in #ips, trimmed to those IPs after each prune of #ips (at most one more):
   * trimmed only when it doubled past the capacity, it took 0.6 MB of a full hour's 1.0.
   */
  #ipCountries = new Map<string, string>();
  /** #ips's prune count when #ipCountries was last trimmed. */
  #ipPrunes = 0;
  readonly #countries = new Map<string, CountryTally>();
  readonly #statusCodes = new Map<number, number>();
  readonly #paths: TopCounter;
  readonly #bucketMs: number | undefined;
  readonly #timeline = new Map<number, [number, number, number]>();

  /** `top` is the intended table length; it sizes the path counter. `bucketMs` enables the timeline. */
  constructor(top: number, bucketMs?: number) {
    this.#paths = new TopCounter(Math.max(MIN_PATH_CAPACITY, top * 100));
    this.#bucketMs = bucketMs;
  }

  /** IPs whose country is held (for tests and memory checks): at most {@link IP_CAPACITY} + 1. */
  get ipCountriesHeld(): number {
    return this.#ipCountries.size;
  }

  /** Counts one record. */
  add(record: AccessRecord): void {
    this.addCounted(countedRequest(record));
  }

  /**
   * Counts one request given as its {@link CountedRequest}: the same as `add` of its record. `at` is
   * its timestamp in epoch ms when the caller has already parsed it.
   */
  addCounted(request: CountedRequest, at?: number): void {
    const { timestamp, ip, action, status, path, country: code, countryName: name } = request;
    this.#total++;
    if (action === 'allowed') this.#allowed++;
    else if (action === 'blocked') this.#blocked++;
    else if (action === 'rate_limited') this.#rateLimited++;

    this.#ips.add(ip);
    this.#distinctIps.add(ip);
    if (this.#ips.prunes !== this.#ipPrunes) this.#trimCountries();
    if (code !== undefined) {
      this.#ipCountries.set(ip, code);
      const country = this.#countries.get(code);
      if (country === undefined) {
        this.#countries.set(code, name === undefined ? { count: 1 } : { count: 1, name });
      } else {
        country.count++;
        if (name !== undefined) country.name ??= name;
      }
    }
    if (this.#bucketMs !== undefined) {
      const ms = at ?? Date.parse(timestamp);
      const start = ms - (ms % this.#bucketMs);
      let bucket = this.#timeline.get(start);
      if (!bucket) {
        bucket = [0, 0, 0];
        this.#timeline.set(start, bucket);
      }
      bucket[action === 'allowed' ? 0 : action === 'blocked' ? 1 : 2]++;
    }
    this.#statusCodes.set(status, (this.#statusCodes.get(status) ?? 0) + 1);
    this.#paths.add(path);
  }

  /**
   * Adds everything `other` counted (an hourly rollup). Its timeline, if any, is re-bucketed to this
   * accumulator's width, which must be a multiple of the other's.
   */
  merge(other: RequestStatsAccumulator): void {
    this.#total += other.#total;
    this.#allowed += other.#allowed;
    this.#blocked += other.#blocked;
    this.#rateLimited += other.#rateLimited;
    this.#ips.merge(other.#ips);
    this.#distinctIps.merge(other.#distinctIps);
    if (this.#ips.prunes !== this.#ipPrunes) this.#trimCountries();
    for (const [ip, code] of other.#ipCountries) if (this.#ips.has(ip)) this.#ipCountries.set(ip, code);
    for (const [code, tally] of other.#countries) {
      const mine = this.#countries.get(code);
      if (mine === undefined) this.#countries.set(code, { ...tally });
      else {
        mine.count += tally.count;
        if (mine.name === undefined && tally.name !== undefined) mine.name = tally.name;
      }
    }
    for (const [status, count] of other.#statusCodes)
      this.#statusCodes.set(status, (this.#statusCodes.get(status) ?? 0) + count);
    this.#paths.merge(other.#paths);
    const width = this.#bucketMs;
    if (width === undefined) return;
    for (const [start, counts] of other.#timeline) {
      const t = start - (start % width);
      const bucket = this.#timeline.get(t) ?? [0, 0, 0];
      bucket[0] += counts[0];
      bucket[1] += counts[1];
      bucket[2] += counts[2];
      this.#timeline.set(t, bucket);
    }
  }

  /** The summary so far, with top-N tables of length `top`, echoing `range`. */
  result(range: TimeRange, top: number): RequestStats {
    const statusCodes: Record<string, number> = {};
    for (const [status, count] of [...this.#statusCodes].sort((a, b) => a[0] - b[0])) {
      statusCodes[String(status)] = count;
    }
    return {
      total: this.#total,
      allowed: this.#allowed,
      blocked: this.#blocked,
      rateLimited: this.#rateLimited,
      uniqueIps: this.#ips.approximate ? this.#distinctIps.count() : this.#ips.size,
      topCountries: topEntries(this.#countries, top, (tally) => tally.count).map(([code, tally]) => ({
        code,
        ...tally,
      })),
      topIps: this.#ips.top(top).map(({ key: ip, count }) => {
        const country = this.#ipCountries.get(ip);
        return country === undefined ? { ip, count } : { ip, count, country };
      }),
      topPaths: this.#paths.top(top).map(({ key, count }) => ({ path: key, count })),
      statusCodes,
      countries: [...this.#countries]
        .map(([code, t]) => ({ code, count: t.count }))
        .sort((a, b) => b.count - a.count),
      timeline: this.#timelineFor(range),
      since: range.since?.toISOString() ?? null,
      until: range.until?.toISOString() ?? null,
      approximate: this.#paths.approximate || this.#ips.approximate,
    };
  }

  /** Drops the countries of IPs no longer in #ips (a new, right-sized map). */
  #trimCountries(): void {
    this.#ipPrunes = this.#ips.prunes;
    this.#ipCountries = new Map([...this.#ipCountries].filter(([kept]) => this.#ips.has(kept)));
  }

  /** Buckets oldest first; with a bounded range, empty buckets are filled so a chart's x axis is even. */
  #timelineFor(range: TimeRange): TimelineBucket[] {
    const width = this.#bucketMs;
    if (width === undefined) return [];
    const starts = new Set(this.#timeline.keys());
    if (emptyBucketsAllowed(range, width)) {
      const first = (range.since as Date).getTime();
      for (let t = first - (first % width); t < (range.until as Date).getTime(); t += width) starts.add(t);
    }
    return [...starts]
      .sort((a, b) => a - b)
      .map((t) => {
        const [allowed, blocked, rateLimited] = this.#timeline.get(t) ?? [0, 0, 0];
        return { t: new Date(t).toISOString(), allowed, blocked, rateLimited };
      });
  }
}

function emptyBucketsAllowed(range: TimeRange, bucketMs: number): boolean {
  return (
    range.since !== undefined &&
    range.until !== undefined &&
    (range.until.getTime() - range.since.getTime()) / bucketMs <= 10_000
  );
}

/**
 * Validates summary options and applies defaults.
 * @throws RequestLogQueryError naming `top` or `bucket` when out of range.
 */
export function checkSummariseOptions(options: SummariseOptions): {
  top: number;
  bucketMs: number | undefined;
} {
  const top = options.top ?? DEFAULT_TOP;
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
    throw new RequestLogQueryError('top', `top must be a whole number from 1 to ${MAX_TOP}, got ${top}`);
  }
  const bucketMs = options.bucketMs;
  if (bucketMs !== undefined && (!Number.isInteger(bucketMs) || bucketMs < 1000)) {
    throw new RequestLogQueryError('bucket', `bucket must be at least 1000 ms, got ${bucketMs}`);
  }
  return { top, bucketMs };
}

/**
 * Summarises the records in `dir` with `@timestamp` in `[since, until)`, streaming the segments
 * oldest first. Throws {@link RequestLogQueryError} for an invalid range or `top`; rejects on I/O
 * errors.
 */
export async function summariseRequests(
  dir: string,
  range: TimeRange,
  options: SummariseOptions = {},
  counters: ReadCounters = { scannedLines: 0, skippedLines: 0 },
): Promise<RequestStats> {
  const { top, bucketMs } = checkSummariseOptions(options);
  const filter = compileFilter({ since: range.since, until: range.until });
  const stats = new RequestStatsAccumulator(top, bucketMs);
  for await (const matches of matchBatches(dir, filter, 'oldest', counters)) {
    for (const { record } of matches) stats.add(record);
  }
  return stats.result(range, top);
}
