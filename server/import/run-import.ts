import type { GeoLookup } from '../../geoip/index.js';
import type { RequestLog } from '../store/index.js';
import { BatchWrites } from './batch-writes.js';
import type { DETECT_LINES } from './detect-format.js';
import type { ImportFormat } from './formats.js';
import type { ImportIndex } from './import-index.js';
import type { LineSource } from './line-source.js';
import { parseInThread } from './parse-in-thread.js';
import { type ParsedBatch, REPORTED_REJECTIONS } from './parse-stage.js';
import { recordAt } from './parsed-batch.js';

/**
 * Records appended between flushes: bounds memory (records + ids) during an import. Small batches
 * die young in V8's new space: 1,000 took a third of the GC time of 5,000 in the import bench.
 */
export const DEFAULT_BATCH = 1000;

/** Where an import has got to; sizes in bytes, times in ms, the rest in lines. */
export interface ImportProgress {
  linesRead: number;
  imported: number;
  duplicates: number;
  rejected: number;
  empty: number;
  bytesRead: number;
  totalBytes: number | undefined;
  elapsedMs: number;
}

/** What an import did. Every line read is exactly one of imported, duplicates, rejected or empty. */
export interface ImportSummary {
  format: ImportFormat;
  linesRead: number;
  imported: number;
  /** Lines whose record an earlier import (or an identical earlier line beyond its count) already wrote. */
  duplicates: number;
  rejected: number;
  /** Blank lines, skipped silently. */
  empty: number;
  /** The earliest and latest `@timestamp` of the lines read into records (imported or duplicates); null for none. */
  earliest: string | null;
  latest: string | null;
  /** The first {@link REPORTED_REJECTIONS} rejected lines: 1-based line number and reason. */
  rejections: { line: number; reason: string }[];
  /**
   * Set when records are older than the request log's retention (see {@link beyondRetention}): the
   * daily retention job deletes their days (UTC) before `firstKeptDay` at its next run.
   */
  beyondRetention?: { retentionDays: number; firstKeptDay: string };
  elapsedMs: number;
  /** linesRead per second of elapsed time. */
  linesPerSecond: number;
}

/** Collaborators and settings of {@link runImport}. */
export interface RunImportOptions {
  source: LineSource;
  /** A format, or `auto` to detect it from the first {@link DETECT_LINES} non-empty lines. */
  format: ImportFormat | 'auto';
  requestLog: RequestLog;
  index: ImportIndex;
  geo: GeoLookup;
  /** Records between flushes; default {@link DEFAULT_BATCH}. */
  batchSize?: number;
  /** Called after each chunk read (up to 256 KiB of input) has been handled. */
  onProgress?: (progress: ImportProgress) => void;
  /** Clock, ms; default `performance.now`. */
  now?: () => number;
}

/**
 * Streams `source` into the request log. A parser thread ({@link parseInThread}) splits and parses the lines, keeping
 * each one's own timestamp and giving it a deterministic `event.id`; this thread skips ids the import
 * index already holds, geolocates, appends, and every `batchSize` records queues a flush and then the
 * save of the new ids ({@link BatchWrites}) — so memory stays constant and a crash at worst
 * re-imports the batches in flight, never loses one.
 * Malformed lines are counted and skipped. Throws ImportError when the format cannot be detected or
 * the request log cannot be written; rejects when the source fails (e.g. corrupt gzip) or the parser
 * thread does.
 */
export async function runImport(options: RunImportOptions): Promise<ImportSummary> {
  const { source, requestLog, index, geo } = options;
  const now = options.now ?? (() => performance.now());
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const started = now();
  const counts = { linesRead: 0, imported: 0, duplicates: 0, rejected: 0, empty: 0 };
  let inBatch = 0;

  const writes = new BatchWrites(requestLog, index);
  const commitBatch = () => {
    inBatch = 0;
    return writes.commit(counts.linesRead);
  };
  /** Dedupes, geolocates and appends one batch of parsed records. */
  const take = async (batch: ParsedBatch, stopped: () => boolean) => {
    const { records } = batch;
    counts.linesRead = batch.linesRead;
    counts.rejected = batch.rejected;
    counts.empty = batch.empty;
    for (let i = 0; i < records.id.length; i++) {
      if (stopped()) return;
      const day = (records.timestamp[i] as string).slice(0, 10);
      if (!index.isLoaded(day)) await index.load(day);
      if (index.seen(day, records.id[i] as string)) {
        counts.duplicates++;
        continue;
      }
      const record = recordAt(records, i);
      const location = geo.lookup(record.source.ip);
      if (location !== null) record.source.geo = location;
      requestLog.append(record);
      counts.imported++;
      if (++inBatch >= batchSize) await commitBatch();
    }
    options.onProgress?.(progress());
  };

  let last: ParsedBatch;
  try {
    last = await parseInThread(source, options.format, take);
  } catch (err) {
    // The source or the parser failed (corrupt gzip, an upload cut off, no format detected): keep
    // what was appended and remember its ids, so running the import again adds only the rest. That
    // error is the one to report; a write failure meanwhile has reached the request log's onError.
    await commitBatch()
      .then(() => writes.done())
      .catch(() => undefined);
    throw err;
  }
  await commitBatch();
  await writes.done();

  function progress(): ImportProgress {
    return {
      ...counts,
      bytesRead: source.bytesRead(),
      totalBytes: source.totalBytes,
      elapsedMs: now() - started,
    };
  }
  const elapsedMs = now() - started;
  return {
    format: last.format ?? (options.format === 'auto' ? 'combined' : options.format),
    ...counts,
    earliest: last.earliest,
    latest: last.latest,
    rejections: last.rejections,
    elapsedMs,
    linesPerSecond: elapsedMs > 0 ? Math.round((counts.linesRead / elapsedMs) * 1000) : 0,
  };
}
