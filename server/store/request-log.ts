import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AccessRecord } from './access-record.js';
import { IpIndexStore } from './ip-index-store.js';
import type { RequestFilter } from './request-filter.js';
import { RequestLogWriteError } from './request-log-errors.js';
import { RequestLogWriter, type RequestLogWriterStats } from './request-log-writer.js';
import {
  queryRequests,
  type ReadCounters,
  type RequestQuery,
  type RequestQueryResult,
  type ScanOrder,
  scanRequests,
} from './request-query.js';
import { RollupCache } from './request-rollups.js';
import type { RequestStats, SummariseOptions, TimeRange } from './request-stats.js';
import { deleteSegmentFilesBefore, listSegmentFiles, type SegmentInfo } from './segment-files.js';

export type { RequestFilter } from './request-filter.js';
export { RequestLogQueryError, RequestLogWriteError } from './request-log-errors.js';
export type { RequestLogWriterStats } from './request-log-writer.js';
export {
  type CursorPosition,
  DEFAULT_QUERY_LIMIT,
  decodeCursor,
  encodeCursor,
  MAX_QUERY_LIMIT,
  type RequestQuery,
  type RequestQueryResult,
  type ScanOrder,
} from './request-query.js';
export type { RequestStats, SummariseOptions, TimelineBucket, TimeRange } from './request-stats.js';
export type { SegmentInfo } from './segment-files.js';

/** Options of {@link createRequestLog}. Times in ms, sizes in records. */
export interface RequestLogOptions {
  /** Segment directory, normally `<data-dir>/requests`; created (recursively) if missing. */
  dir: string;
  /** Flush period, default 1000 ms. */
  flushIntervalMs?: number;
  /** Flush early once this many records are waiting, default 5000. */
  maxBatch?: number;
  /** Unwritten records kept while writes fail, default 100 000; the oldest beyond are dropped. */
  maxPendingRecords?: number;
  /** Called on each record as it is appended, before it is serialised, e.g. to add `source.geo`; may mutate it. */
  enrich?: (record: AccessRecord) => void;
  /** Told about write failures and dropped records; default: a process warning. */
  onError?: (err: Error) => void;
  /** Told about IP index files found corrupt (moved aside) or not built; default: a process warning. */
  onIndexProblem?: (err: Error) => void;
  /**
   * Build missing IP indexes of closed segments in the background (at open and when the day rolls
   * over); default true. Short-lived readers (the CLI's backtest, monitor, export and import) pass
   * false: they leave the data dir as they found it, and queries scan where an index is missing.
   */
  indexInBackground?: boolean;
}

/** Tries of a failed write at close, and the wait before each (ms): 3 s for a full disk to clear. */
export const CLOSE_RETRIES = 6;
export const CLOSE_RETRY_MS = 500;

/** Writer counters plus `skippedLines`: torn or foreign lines met by reads since open. */
export interface RequestLogStats extends RequestLogWriterStats {
  skippedLines: number;
}

/** The request log: day segments of ECS access records, written in batches and read newest-first. */
export interface RequestLog {
  readonly dir: string;
  /**
   * Enriches and serialises a record and queues its line for the next batch write: a few µs, no I/O,
   * never throws. The record is not kept, so later changes to it are not written.
   */
  append(record: AccessRecord): void;
  /** Writes everything appended so far; never rejects (failures go to `onError`, records stay pending). */
  flush(): Promise<void>;
  /**
   * Stops the flush timer and flushes; later appends still get written, one flush each. Abandons a
   * background IP index build (it is redone at the next open). A write that fails (a full disk) is
   * tried again for {@link CLOSE_RETRY_MS} × {@link CLOSE_RETRIES}.
   * @throws RequestLogWriteError naming how many records could still not be written: they are lost
   *   when the process ends, and a stop must not say otherwise.
   */
  close(): Promise<void>;
  /** Counters in records; `appended = written + failed + pendingRecords`. */
  stats(): RequestLogStats;
  /**
   * One page of matching records, newest first; pass `nextCursor` back with the same filter for the
   * next. Only written records are seen (at most one flush interval behind). Throws
   * RequestLogQueryError for a malformed cursor, limit or filter.
   */
  query(filter: RequestQuery): Promise<RequestQueryResult>;
  /** Streams matching records in `order` with constant memory. Throws RequestLogQueryError for a bad filter. */
  scan(filter: RequestFilter, order: ScanOrder): AsyncIterable<AccessRecord>;
  /** Totals and top-N tables over `[since, until)`. Throws RequestLogQueryError for a bad range or `top`. */
  summarise(range: TimeRange, options?: SummariseOptions): Promise<RequestStats>;
  /**
   * Builds the IP index of every closed segment (days before today, UTC) that lacks a current one
   * and resolves with how many were built. The log also does this in the background at open and
   * when the day rolls over; failures go to `onIndexProblem`.
   */
  buildIpIndexes(): Promise<number>;
  /** Precomputes the hourly summaries of `range` so the first dashboard load is fast. */
  warmSummaries(range: { since: Date; until: Date }): Promise<void>;
  /** The segment files, oldest day first, with their sizes in bytes. */
  listSegments(): Promise<SegmentInfo[]>;
  /**
   * Deletes whole segments for days before `day` (`YYYY-MM-DD`, exclusive) and returns their file
   * names. Throws RangeError for a malformed day.
   */
  deleteSegmentsBefore(day: string): Promise<string[]>;
}

function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`request log option ${name} must be a whole number >= 1, got ${value}`);
  }
  return value;
}

/**
 * Opens the request log in `options.dir` (creating it) and starts the flush timer (unref'd, so it
 * never keeps the process alive; call `close()` on shutdown to write the last batch). Throws
 * RangeError naming a bad option; rejects if the directory cannot be created.
 */
export async function createRequestLog(options: RequestLogOptions): Promise<RequestLog> {
  if (typeof options.dir !== 'string' || options.dir === '') {
    throw new RangeError('request log option dir must be a directory path');
  }
  const flushIntervalMs = checkCount('flushIntervalMs', options.flushIntervalMs, 1000);
  const maxBatch = checkCount('maxBatch', options.maxBatch, 5000);
  const maxPendingRecords = checkCount('maxPendingRecords', options.maxPendingRecords, 100_000);
  const { dir } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const reads: ReadCounters = { scannedLines: 0, skippedLines: 0 };
  const rollups = new RollupCache(dir, reads, () => writer.flush());
  const onError = options.onError ?? ((err) => process.emitWarning(err));
  const indexes = new IpIndexStore(dir, {
    onProblem: options.onIndexProblem ?? ((err) => process.emitWarning(err)),
    background: options.indexInBackground ?? true,
  });
  let lastDay = '';
  const writer = new RequestLogWriter({
    countsWanted: (hourStart) => rollups.countsWanted(hourStart),
    onWriting: (hours) => rollups.writing(hours),
    onWritten: (day, uncountedHours, requests) => {
      rollups.written(uncountedHours, requests);
      // A record of a new day means the previous day's segment is closed: index it.
      if (day > lastDay) {
        if (lastDay !== '') indexes.schedule();
        lastDay = day;
      }
    },
    dir,
    flushIntervalMs,
    maxBatch,
    maxPendingRecords,
    enrich: options.enrich,
    onError,
  });
  indexes.schedule();

  return {
    dir,
    append: (record) => writer.append(record),
    flush: () => writer.flush(),
    async close() {
      await writer.close();
      for (let i = 0; i < CLOSE_RETRIES && writer.stats().pendingRecords > 0; i++) {
        await sleep(CLOSE_RETRY_MS);
        await writer.flush();
      }
      await indexes.stop();
      const unwritten = writer.stats().pendingRecords;
      if (unwritten > 0) {
        throw new RequestLogWriteError(
          `${unwritten.toLocaleString('en-US')} request-log records could not be written to ${dir} ` +
            `(tried for ${(CLOSE_RETRIES * CLOSE_RETRY_MS) / 1000} s) and are lost`,
          null,
        );
      }
    },
    stats: () => ({ ...writer.stats(), skippedLines: reads.skippedLines }),
    query: (filter) => queryRequests(dir, filter, reads, indexes),
    async buildIpIndexes() {
      await indexes.settled();
      return indexes.refresh();
    },
    scan: (filter, order) => scanRequests(dir, filter, order, reads),
    summarise: (range, summariseOptions) => rollups.summarise(range, summariseOptions),
    warmSummaries: (range) => rollups.warm(range),
    listSegments: () => listSegmentFiles(dir),
    async deleteSegmentsBefore(day) {
      const deleted = await deleteSegmentFilesBefore(dir, day);
      for (const name of deleted) {
        writer.forgetSegment(name.slice(0, 10));
        await indexes.remove(name);
      }
      if (deleted.length > 0) rollups.clear();
      return deleted;
    },
  };
}
