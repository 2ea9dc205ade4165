import path from 'node:path';
import { type AccessRecord, parseAccessRecord } from './access-record.js';
import { readIndexedLinesNewestFirst } from './indexed-lines.js';
import type { IpIndexStore } from './ip-index-store.js';
import { type CompiledFilter, compileFilter, type RequestFilter } from './request-filter.js';
import { RequestLogQueryError } from './request-log-errors.js';
import {
  isValidDay,
  listSegmentFiles,
  type SegmentInfo,
  segmentName,
  segmentsInRange,
} from './segment-files.js';
import { type LineBatch, readLinesNewestFirst, readLinesOldestFirst } from './segment-reader.js';

/**
 * A page request: a {@link RequestFilter} plus `limit` (records per page, default 100, at most
 * 1000; larger values are clamped) and `cursor` (the `nextCursor` of the previous page, sent with
 * the same filter).
 */
export interface RequestQuery extends RequestFilter {
  limit?: number;
  cursor?: string;
}

/**
 * One page, newest first. `nextCursor` is null when no older match exists. `scannedLines` counts
 * lines read; `skippedLines` those, among lines passing the pre-filter, that were torn or not records.
 */
export interface RequestQueryResult {
  records: AccessRecord[];
  nextCursor: string | null;
  scannedLines: number;
  skippedLines: number;
}

/** Direction of a scan: file order (`oldest`) or reverse file order (`newest`). */
export type ScanOrder = 'oldest' | 'newest';

/** Where a page stopped: continue with the lines of `day`'s segment that start before `offset` (bytes). */
export interface CursorPosition {
  day: string;
  offset: number;
}

/** Line counters a read adds to; shared so the log can report totals. */
export interface ReadCounters {
  scannedLines: number;
  skippedLines: number;
}

/** A matching record and where its line starts. */
export interface RecordMatch {
  record: AccessRecord;
  day: string;
  offset: number;
}

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 1000;

const CURSOR_TEXT = /^(\d{4}-\d{2}-\d{2})\.ndjson:(0|[1-9]\d{0,14})$/;

/** Encodes a position as an opaque cursor: base64url of `YYYY-MM-DD.ndjson:<byte offset>`. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${segmentName(position.day)}:${position.offset}`, 'utf8').toString('base64url');
}

/** Decodes a cursor from {@link encodeCursor}. Throws {@link RequestLogQueryError} (field `cursor`) if malformed. */
export function decodeCursor(cursor: string): CursorPosition {
  const invalid = () =>
    new RequestLogQueryError(
      'cursor',
      `cursor ${JSON.stringify(cursor)} is not a cursor from a previous page`,
    );
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) throw invalid();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = CURSOR_TEXT.exec(text);
  const day = match?.[1];
  const offset = Number(match?.[2]);
  // Re-encoding must give the same string: rejects non-canonical base64 that decodes "close enough".
  if (day === undefined || !isValidDay(day) || encodeCursor({ day, offset }) !== cursor) throw invalid();
  return { day, offset };
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RequestLogQueryError(
      'limit',
      `limit must be a whole number from 1 to ${MAX_QUERY_LIMIT}, got ${limit}`,
    );
  }
  return Math.min(limit, MAX_QUERY_LIMIT);
}

/**
 * Streams the records matching `filter` from the segments whose day intersects its time range, one
 * batch per read chunk, in `order`. `from` resumes a newest-first read at a cursor position. Lines
 * lacking the filter's JSON fragments are never decoded or parsed; parsed lines that are torn or not
 * records are counted in `skippedLines`, never thrown. With `indexes`, a newest-first read for one
 * IP reads only that IP's lines of each segment that has a usable IP index.
 */
export async function* matchBatches(
  dir: string,
  filter: CompiledFilter,
  order: ScanOrder,
  counters: ReadCounters,
  from?: CursorPosition,
  indexes?: IpIndexStore,
): AsyncGenerator<RecordMatch[]> {
  let segments: SegmentInfo[] = segmentsInRange(await listSegmentFiles(dir), filter.since, filter.until);
  if (order === 'newest') segments.reverse();
  if (from !== undefined) segments = segments.filter((segment) => segment.day <= from.day);
  for (const segment of segments) {
    const { day, name } = segment;
    const file = path.join(dir, name);
    const end = from?.day === day ? from.offset : undefined;
    const { needle } = filter;
    const batches =
      order === 'newest'
        ? await newestFirstLines(file, segment, filter, end, indexes)
        : readLinesOldestFirst(file, { needle });
    for await (const { lines, lineCount } of batches) {
      counters.scannedLines += lineCount;
      const matches: RecordMatch[] = [];
      for (const { offset, text } of lines) {
        if (text === null) {
          counters.skippedLines++;
          continue;
        }
        if (!filter.mayMatch(text)) continue;
        const record = parseAccessRecord(text);
        if (record === null) counters.skippedLines++;
        else if (filter.matches(record)) matches.push({ record, day, offset });
      }
      if (matches.length > 0) yield matches;
    }
  }
}

/** A segment's lines newest-first: through its IP index for a one-IP filter when it has one, else scanned. */
async function newestFirstLines(
  file: string,
  segment: SegmentInfo,
  filter: CompiledFilter,
  end: number | undefined,
  indexes: IpIndexStore | undefined,
): Promise<AsyncIterable<LineBatch>> {
  const found = filter.ip === undefined ? null : ((await indexes?.lookup(segment, filter.ip)) ?? null);
  if (found === null) return readLinesNewestFirst(file, { end, needle: filter.needle });
  return readIndexedLinesNewestFirst(file, found.index, found.offsets, { end, needle: filter.needle });
}

/**
 * Returns one page of matching records, newest first, opening only the segments that intersect
 * `[since, until)` (and, for one IP, only its lines where a segment has an IP index). Reads one
 * record past the page to know whether `nextCursor` is needed. Throws
 * {@link RequestLogQueryError} for a malformed cursor, limit or filter; rejects on I/O errors.
 */
export async function queryRequests(
  dir: string,
  query: RequestQuery,
  totals?: ReadCounters,
  indexes?: IpIndexStore,
): Promise<RequestQueryResult> {
  const limit = checkLimit(query.limit);
  const from = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const filter = compileFilter(query);
  const counters: ReadCounters = { scannedLines: 0, skippedLines: 0 };
  const records: AccessRecord[] = [];
  let last: RecordMatch | undefined;
  let nextCursor: string | null = null;
  try {
    search: for await (const matches of matchBatches(dir, filter, 'newest', counters, from, indexes)) {
      for (const match of matches) {
        if (last !== undefined && records.length === limit) {
          nextCursor = encodeCursor(last);
          break search;
        }
        records.push(match.record);
        last = match;
      }
    }
  } finally {
    if (totals !== undefined) {
      totals.scannedLines += counters.scannedLines;
      totals.skippedLines += counters.skippedLines;
    }
  }
  return { records, nextCursor, ...counters };
}

/**
 * Streams every record matching `filter` in `order` with constant memory (for stats, exports and
 * detection jobs). Throws {@link RequestLogQueryError} on the first `next()` for a bad filter.
 */
export async function* scanRequests(
  dir: string,
  filter: RequestFilter,
  order: ScanOrder,
  counters: ReadCounters = { scannedLines: 0, skippedLines: 0 },
): AsyncGenerator<AccessRecord> {
  if (order !== 'oldest' && order !== 'newest') {
    throw new RequestLogQueryError('order', `order must be "oldest" or "newest", got "${order}"`);
  }
  for await (const matches of matchBatches(dir, compileFilter(filter), order, counters)) {
    for (const { record } of matches) yield record;
  }
}
