import { segmentDayOf } from '../store/segment-files.js';
import { DETECT_LINES, detectFormat } from './detect-format.js';
import { type ImportFormat, PARSERS } from './formats.js';
import { ImportError } from './import-errors.js';
import { LineIds } from './line-ids.js';
import { MAX_LINE_LENGTH } from './line-splitter.js';
import { addRecord, emptyColumns, type ParsedColumns } from './parsed-batch.js';
import type { LineParser } from './parsers/parse-result.js';

/** Rejected lines reported by line number and reason in the summary; the rest are only counted. */
export const REPORTED_REJECTIONS = 5;

/** What the parse stage has made of the lines so far: counts are totals since the start. */
export interface ParsedBatch {
  /** The records parsed from the lines handed in since the last batch, with their ids. */
  records: ParsedColumns;
  /** True for the answer to the end of the log: no batch follows. */
  last: boolean;
  /** The format in use; null while the first lines are still being sampled for auto-detection. */
  format: ImportFormat | null;
  linesRead: number;
  rejected: number;
  /** Blank lines, skipped silently. */
  empty: number;
  /** The first {@link REPORTED_REJECTIONS} rejected lines: 1-based line number and reason. */
  rejections: { line: number; reason: string }[];
  /** The earliest and latest `@timestamp` of the records parsed so far; null for none. */
  earliest: string | null;
  latest: string | null;
}

/**
 * The CPU-bound first half of an import, run in the parser thread: parses each line with the
 * format's parser (auto-detecting it from the first {@link DETECT_LINES} non-empty lines), keeps its
 * own timestamp, gives it a deterministic `event.id` ({@link LineIds}), counts and remembers the
 * first rejections by line number. What it cannot know — whether an id was imported before, where
 * an address is — is left to the import on the main thread.
 */
export class ParseStage {
  readonly #ids = new LineIds();
  #format: ImportFormat | null;
  #parse: LineParser | null;
  #sample: { line: string; lineNo: number }[] = [];
  #records = emptyColumns();
  #linesRead = 0;
  #rejected = 0;
  #empty = 0;
  readonly #rejections: ParsedBatch['rejections'] = [];
  #earliest: string | null = null;
  #latest: string | null = null;

  /** `format`: a format, or `auto` to detect it. */
  constructor(format: ImportFormat | 'auto') {
    this.#format = format === 'auto' ? null : format;
    this.#parse = this.#format === null ? null : PARSERS[this.#format];
  }

  /**
   * Takes the next lines of the log (without line ends).
   * @throws ImportError when auto-detection has seen enough lines and no format parses any.
   */
  add(lines: readonly string[]): void {
    for (const line of lines) {
      const lineNo = ++this.#linesRead;
      if (line.length === 0 || line.trim() === '') {
        this.#empty++;
        continue;
      }
      if (this.#parse !== null) {
        this.#handle(line, lineNo, this.#parse);
        continue;
      }
      this.#sample.push({ line, lineNo });
      if (this.#sample.length >= DETECT_LINES) this.#detect();
    }
  }

  /**
   * The records parsed since the last call, with the running counts. With `last` set, lines still
   * sampled for detection (a log shorter than {@link DETECT_LINES}) are parsed first.
   * @throws ImportError as {@link add}.
   */
  take(last = false): ParsedBatch {
    if (last && this.#parse === null && this.#sample.length > 0) this.#detect();
    const records = this.#records;
    this.#records = emptyColumns();
    return {
      records,
      last,
      format: this.#format,
      linesRead: this.#linesRead,
      rejected: this.#rejected,
      empty: this.#empty,
      rejections: [...this.#rejections],
      earliest: this.#earliest,
      latest: this.#latest,
    };
  }

  #handle(line: string, lineNo: number, parse: LineParser): void {
    const parsed =
      line.length > MAX_LINE_LENGTH
        ? `longer than ${MAX_LINE_LENGTH.toLocaleString('en')} characters`
        : parse(line);
    if (typeof parsed === 'string') {
      this.#reject(lineNo, parsed);
      return;
    }
    const timestamp = parsed['@timestamp'];
    if (segmentDayOf(timestamp) === null) {
      // `[31/Dec/9999:23:59:59 -0100]` is a valid line whose time, in UTC, is in the year 10000.
      this.#reject(lineNo, `time ${timestamp} is outside the years 0000–9999 the request log holds`);
      return;
    }
    // ISO 8601 UTC text sorts in time order.
    if (this.#earliest === null || timestamp < this.#earliest) this.#earliest = timestamp;
    if (this.#latest === null || timestamp > this.#latest) this.#latest = timestamp;
    addRecord(this.#records, parsed, this.#ids.next(line, timestamp));
  }

  #reject(line: number, reason: string): void {
    this.#rejected++;
    if (this.#rejections.length < REPORTED_REJECTIONS) this.#rejections.push({ line, reason });
  }

  #detect(): void {
    const sample = this.#sample;
    this.#format = detectFormat(sample.map((s) => s.line));
    if (this.#format === null) {
      throw new ImportError(
        `cannot tell the log format from the first ${sample.length} non-empty line(s) ` +
          '(expected combined, common, nginx-json or ecs-ndjson); name it: the Format menu in the UI, --format in the CLI, format= in the admin API',
      );
    }
    const parse = PARSERS[this.#format];
    this.#parse = parse;
    this.#sample = [];
    for (const s of sample) this.#handle(s.line, s.lineNo, parse);
  }
}
