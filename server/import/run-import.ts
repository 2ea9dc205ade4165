import type { GeoLookup } from '../../geoip/index.js';
import type { AccessRecord, RequestLog } from '../store/index.js';
import { BatchWrites } from './batch-writes.js';
import { DETECT_LINES, detectFormat } from './detect-format.js';
import { type ImportFormat, PARSERS } from './formats.js';
import { ImportError } from './import-errors.js';
import type { ImportIndex } from './import-index.js';
import { LineIds } from './line-ids.js';
import type { LineSource } from './line-source.js';
import type { LineParser } from './parsers/parse-result.js';

/** Rejected lines reported by line number and reason in the summary; the rest are only counted. */
export const REPORTED_REJECTIONS = 5;
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
 * Streams `source` into the request log: parses each line with the format's parser, keeps its own
 * timestamp, gives it a deterministic `event.id` ({@link LineIds}), skips ids the import index
 * already holds, geolocates, appends, and every `batchSize` records queues a flush and then the save
 * of the new ids ({@link BatchWrites}) — so memory stays constant and a crash at worst re-imports the
 * batches in flight, never loses one.
 * Malformed lines are counted and skipped. Throws ImportError when the format cannot be detected or
 * the request log cannot be written; rejects when the source fails (e.g. corrupt gzip).
 */
export async function runImport(options: RunImportOptions): Promise<ImportSummary> {
  const { source, requestLog, index, geo } = options;
  const now = options.now ?? (() => performance.now());
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const started = now();
  const ids = new LineIds();
  const counts = { linesRead: 0, imported: 0, duplicates: 0, rejected: 0, empty: 0 };
  const rejections: ImportSummary['rejections'] = [];
  let format = options.format === 'auto' ? null : options.format;
  let parse = format === null ? null : PARSERS[format];
  let sample: { line: string; lineNo: number }[] = [];
  let inBatch = 0;
  let earliest: string | null = null;
  let latest: string | null = null;

  const reject = (lineNo: number, reason: string) => {
    counts.rejected++;
    if (rejections.length < REPORTED_REJECTIONS) rejections.push({ line: lineNo, reason });
  };
  const writes = new BatchWrites(requestLog, index);
  const commitBatch = () => {
    inBatch = 0;
    return writes.commit(counts.linesRead);
  };
  /** Handles one non-empty line; returns a promise only when it must wait (a day's ids, a batch write). */
  const handle = (line: string, lineNo: number, lineParser: LineParser): Promise<void> | undefined => {
    const parsed = lineParser(line);
    if (typeof parsed === 'string') {
      reject(lineNo, parsed);
      return undefined;
    }
    const day = parsed['@timestamp'].slice(0, 10);
    if (!index.isLoaded(day)) return index.load(day).then(() => keep(line, parsed, day));
    return keep(line, parsed, day);
  };
  const keep = (line: string, record: AccessRecord, day: string): Promise<void> | undefined => {
    const timestamp = record['@timestamp'];
    // ISO 8601 UTC text sorts in time order.
    if (earliest === null || timestamp < earliest) earliest = timestamp;
    if (latest === null || timestamp > latest) latest = timestamp;
    const id = ids.next(line, timestamp);
    if (index.seen(day, id)) {
      counts.duplicates++;
      return undefined;
    }
    record.event.id = id;
    const location = geo.lookup(record.source.ip);
    if (location !== null) record.source.geo = location;
    requestLog.append(record);
    counts.imported++;
    return ++inBatch >= batchSize ? commitBatch() : undefined;
  };
  const detect = async () => {
    format = detectFormat(sample.map((s) => s.line));
    if (format === null) {
      throw new ImportError(
        `cannot tell the log format from the first ${sample.length} non-empty line(s) ` +
          '(expected combined, common, nginx-json or ecs-ndjson); name it with --format (format= in the admin API)',
      );
    }
    parse = PARSERS[format];
    for (const s of sample) await handle(s.line, s.lineNo, parse);
    sample = [];
  };

  try {
    for await (const lines of source.batches) {
      for (const line of lines) {
        const lineNo = ++counts.linesRead;
        if (line.length === 0 || line.trim() === '') {
          counts.empty++;
          continue;
        }
        if (parse !== null) {
          const waiting = handle(line, lineNo, parse);
          if (waiting !== undefined) await waiting;
          continue;
        }
        sample.push({ line, lineNo });
        if (sample.length >= DETECT_LINES) await detect();
      }
      options.onProgress?.(progress());
    }
    if (parse === null && sample.length > 0) await detect();
  } catch (err) {
    // The source failed (corrupt gzip, an upload cut off): keep what was appended and remember its
    // ids, so running the import again adds only the rest. The source's error is the one to report;
    // a write failure meanwhile has reached the request log's onError.
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
    format: format ?? (options.format === 'auto' ? 'combined' : options.format),
    ...counts,
    earliest,
    latest,
    rejections,
    elapsedMs,
    linesPerSecond: elapsedMs > 0 ? Math.round((counts.linesRead / elapsedMs) * 1000) : 0,
  };
}
