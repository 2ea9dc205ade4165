import type { AccessRecord } from './access-record.js';
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
  since: string | null;
  until: string | null;
  approximate: boolean;
}

const DEFAULT_TOP = 10;
const MAX_TOP = 1000;
/** Distinct paths counted exactly before the path table turns approximate. */
const MIN_PATH_CAPACITY = 10_000;

interface IpTally {
  count: number;
  country?: string;
}

interface CountryTally {
  count: number;
  name?: string;
}

/** Folds access records into {@link RequestStats}; memory grows with distinct IPs and countries only. */
export class RequestStatsAccumulator {
  #total = 0;
  #allowed = 0;
  #blocked = 0;
  #rateLimited = 0;
  readonly #ips = new Map<string, IpTally>();
  readonly #countries = new Map<string, CountryTally>();
  readonly #statusCodes = new Map<number, number>();
  readonly #paths: TopCounter;

  /** `top` is the intended table length; it sizes the path counter. */
  constructor(top: number) {
    this.#paths = new TopCounter(Math.max(MIN_PATH_CAPACITY, top * 100));
  }

  /** Counts one record. */
  add(record: AccessRecord): void {
    this.#total++;
    const action = record.event.action;
    if (action === 'allowed') this.#allowed++;
    else if (action === 'blocked') this.#blocked++;
    else if (action === 'rate_limited') this.#rateLimited++;

    const geo = record.source.geo;
    const code = typeof geo?.country_iso_code === 'string' ? geo.country_iso_code : undefined;
    const ip = this.#ips.get(record.source.ip);
    if (ip === undefined) {
      this.#ips.set(record.source.ip, code === undefined ? { count: 1 } : { count: 1, country: code });
    } else {
      ip.count++;
      if (code !== undefined) ip.country = code;
    }
    if (code !== undefined) {
      const name = typeof geo?.country_name === 'string' ? geo.country_name : undefined;
      const country = this.#countries.get(code);
      if (country === undefined) {
        this.#countries.set(code, name === undefined ? { count: 1 } : { count: 1, name });
      } else {
        country.count++;
        if (name !== undefined) country.name ??= name;
      }
    }
    const status = record.http.response.status_code;
    this.#statusCodes.set(status, (this.#statusCodes.get(status) ?? 0) + 1);
    this.#paths.add(record.url.path);
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
      uniqueIps: this.#ips.size,
      topCountries: topEntries(this.#countries, top, (tally) => tally.count).map(([code, tally]) => ({
        code,
        ...tally,
      })),
      topIps: topEntries(this.#ips, top, (tally) => tally.count).map(([ip, tally]) => ({ ip, ...tally })),
      topPaths: this.#paths.top(top).map(({ key, count }) => ({ path: key, count })),
      statusCodes,
      since: range.since?.toISOString() ?? null,
      until: range.until?.toISOString() ?? null,
      approximate: this.#paths.approximate,
    };
  }
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
  const top = options.top ?? DEFAULT_TOP;
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
    throw new RequestLogQueryError('top', `top must be a whole number from 1 to ${MAX_TOP}, got ${top}`);
  }
  const filter = compileFilter({ since: range.since, until: range.until });
  const stats = new RequestStatsAccumulator(top);
  for await (const matches of matchBatches(dir, filter, 'oldest', counters)) {
    for (const { record } of matches) stats.add(record);
  }
  return stats.result(range, top);
}
