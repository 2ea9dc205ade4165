import {
  type AccessRecord,
  type CountedRequest,
  countedRequest,
  serialiseAccessRecord,
} from './access-record.js';
import { joinLines, type LineBytes, LineEncoder } from './encode-lines.js';
import { AppendProblems, RequestLogWriteError } from './request-log-errors.js';
import { SegmentAppender } from './segment-append.js';
import { segmentDayOf } from './segment-files.js';

/** Settings of a {@link RequestLogWriter}; times in ms, sizes in records. */
export interface RequestLogWriterOptions {
  dir: string;
  flushIntervalMs: number;
  maxBatch: number;
  maxPendingRecords: number;
  /** Completes a record (geolocation) when it is appended, before it is serialised. */
  enrich?: (record: AccessRecord) => void;
  onError: (err: Error) => void;
  /**
   * Told the requests whose records reached `day`'s segment after each write (for rollup caches);
   * failed ones are retried, then told.
   */
  onWritten?: (day: string, requests: CountedRequest[]) => void;
}

/**
 * Writer counters, in records. `appended` = `written` + `failed` + `pendingRecords` always holds:
 * `failed` counts records dropped for good (over `maxPendingRecords`, unserialisable, invalid
 * `@timestamp`); `writeErrors` counts failed segment writes (each is retried later).
 */
export interface RequestLogWriterStats {
  appended: number;
  written: number;
  failed: number;
  pendingRecords: number;
  writeErrors: number;
}

/**
 * A record waiting for its write: where its line's bytes are, and what the rollups count of it.
 * Kept small (no Buffer view, the day's shared text): at full load a second of these waits for the
 * flush, and the young-generation collector copies each one it finds alive.
 */
interface PendingLine extends LineBytes {
  day: string;
  request: CountedRequest;
}

/**
 * Appends access records to the day segments off the request path. `append` enriches, serialises
 * and encodes a record at once (a few µs), so that no record object outlives its request and no
 * flush holds the event loop for a second's worth of records (README "Performance"); it never does
 * I/O or throws. A timer (unref'd) and a full batch trigger flushes, which run one at a time, so a
 * segment never sees two concurrent writes.
 */
export class RequestLogWriter {
  readonly #options: RequestLogWriterOptions;
  readonly #timer: NodeJS.Timeout;
  readonly #encoder = new LineEncoder();
  /** Encoded, waiting for a (retried) write; `#pendingHead` skips lines dropped as oldest. */
  #pending: PendingLine[] = [];
  #pendingHead = 0;
  /** Lines appended since the last flush began (the `maxBatch` trigger; retries do not count). */
  #fresh = 0;
  readonly #problems = new AppendProblems();
  #inFlight = 0;
  #appended = 0;
  #written = 0;
  #failed = 0;
  #writeErrors = 0;
  readonly #segments: SegmentAppender;
  #running: Promise<void> = Promise.resolve();
  #queued: Promise<void> | null = null;
  #closed = false;

  constructor(options: RequestLogWriterOptions) {
    this.#options = options;
    this.#segments = new SegmentAppender(options.dir, (err) => this.#report(err));
    this.#timer = setInterval(() => {
      if (this.#pendingCount() > 0 || this.#problems.any()) void this.flush();
    }, options.flushIntervalMs);
    this.#timer.unref();
  }

  /**
   * Enriches, serialises and queues a record for the next flush: no I/O, never throws. The record
   * is not kept: later changes to it are not written. A record that cannot be written (an invalid
   * `@timestamp`, not serialisable) is counted in `failed` and reported at the next flush. Past
   * `maxPendingRecords` unwritten records, the oldest is dropped and counted in `failed`. After
   * {@link close}, each append flushes at once so nothing is stranded.
   */
  append(record: AccessRecord): void {
    this.#appended++;
    const line = this.#encode(record);
    if (line === null) {
      this.#failed++;
    } else {
      this.#pending.push(line);
      this.#fresh++;
      if (this.#unwritten() > this.#options.maxPendingRecords) this.#dropOldest();
    }
    if (this.#fresh >= this.#options.maxBatch || this.#closed) void this.flush();
  }

  /**
   * Writes everything appended so far (and retries earlier failed writes). Resolves when that write
   * has been attempted; never rejects: failures go to `onError` and the records stay pending.
   */
  flush(): Promise<void> {
    if (this.#queued !== null) return this.#queued;
    const next = this.#running.then(() => {
      this.#queued = null;
      return this.#writeOnce().catch((err: unknown) => {
        // A bug here must not reject every later flush chained on this one, nor crash the proxy.
        this.#report(new RequestLogWriteError('request log: flush failed unexpectedly', null, err));
      });
    });
    this.#queued = next;
    this.#running = next;
    return next;
  }

  /** Stops the timer and flushes. Records appended later are still written (one flush each). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
  }

  /** Current counters; see {@link RequestLogWriterStats}. */
  stats(): RequestLogWriterStats {
    return {
      appended: this.#appended,
      written: this.#written,
      failed: this.#failed,
      pendingRecords: this.#unwritten(),
      writeErrors: this.#writeErrors,
    };
  }

  /** Forgets what is known about a segment's tail, e.g. after retention deleted it. */
  forgetSegment(day: string): void {
    this.#segments.forget(day);
  }

  #unwritten(): number {
    return this.#pendingCount() + this.#inFlight;
  }

  #pendingCount(): number {
    return this.#pending.length - this.#pendingHead;
  }

  /** The line of a record, or null (the problem noted) when it cannot be written. */
  #encode(record: AccessRecord): PendingLine | null {
    const problems = this.#problems;
    const { enrich } = this.#options;
    if (enrich !== undefined) {
      try {
        enrich(record);
      } catch (err) {
        // The record is still worth keeping without enrichment; reported once per flush.
        problems.enrichFailed(err);
      }
    }
    const timestamp = record['@timestamp'];
    const day = typeof timestamp === 'string' ? segmentDayOf(timestamp) : null;
    if (day === null) {
      problems.badTimestamp(timestamp);
      return null;
    }
    try {
      // The rollups' fields are read here too: a record without them is as unwritable as a cycle.
      const line: PendingLine = { day, slab: EMPTY, start: 0, end: 0, request: countedRequest(record) };
      this.#encoder.encode(serialiseAccessRecord(record), line);
      return line;
    } catch (err) {
      problems.unserialisable(err);
      return null;
    }
  }

  #dropOldest(): void {
    if (++this.#pendingHead >= 1024 && this.#pendingHead * 8 >= this.#pending.length) {
      // Compact once the dropped head is an eighth of the array: at most 8 moves a drop, and dropped
      // lines held past the cap stay under a seventh of it (14,000 at the default 100,000). Dropping
      // by `shift()` moved every line left: under a failing disk, 100,000 moves a request.
      this.#pending = this.#pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
    this.#failed++;
  }

  async #writeOnce(): Promise<void> {
    this.#fresh = 0;
    for (const err of this.#problems.take()) this.#report(err);
    if (this.#pendingCount() === 0) return;
    const lines = this.#pendingHead === 0 ? this.#pending : this.#pending.slice(this.#pendingHead);
    this.#pending = [];
    this.#pendingHead = 0;
    this.#inFlight = lines.length;
    const writtenByDay = new Map<string, number>();
    for (const [day, dayLines] of groupByDay(lines)) {
      const written = await this.#writeDay(day, dayLines);
      // Told at once, with no await in between, so no reader can see these lines and be told again.
      this.#options.onWritten?.(
        day,
        dayLines.slice(0, written).map((l) => l.request),
      );
      writtenByDay.set(day, written);
      // Move them from in flight to written together, so stats() stays consistent mid-flush.
      this.#written += written;
      this.#inFlight -= written;
    }
    this.#inFlight = 0;

    // Retry what did not reach the disk, in the original order, before what came in meanwhile.
    const unwritten = lines.filter(({ day }) => {
      const skip = writtenByDay.get(day) ?? 0;
      writtenByDay.set(day, skip - 1);
      return skip <= 0;
    });
    if (unwritten.length > 0) {
      const appendedMeanwhile = this.#pending.slice(this.#pendingHead);
      this.#pending = unwritten.concat(appendedMeanwhile);
      this.#pendingHead = 0;
      const excess = this.#pendingCount() - this.#options.maxPendingRecords;
      for (let i = 0; i < excess; i++) this.#dropOldest();
    }
  }

  /**
   * Writes a day's lines, normally in one write; only a backlog left by failures (more than
   * `maxBatch` lines) is split, to bound the buffer. Returns how many leading lines reached the disk.
   */
  async #writeDay(day: string, lines: PendingLine[]): Promise<number> {
    const { maxBatch } = this.#options;
    let written = 0;
    for (let from = 0; from < lines.length; from += maxBatch) {
      const slice = lines.slice(from, from + maxBatch);
      const { written: sliceWritten, failed } = await this.#segments.append(
        day,
        joinLines(slice),
        slice.length,
      );
      if (failed) this.#writeErrors++;
      written += sliceWritten;
      if (sliceWritten < slice.length) break;
    }
    return written;
  }

  #report(err: Error): void {
    try {
      this.#options.onError(err);
    } catch (hookError) {
      // onError itself failed: the writer must keep going, so fall back to a process warning.
      process.emitWarning(`request log onError hook threw: ${String(hookError)}; original: ${err.message}`);
    }
  }
}

/** What a pending line points at before its encoding. */
const EMPTY = Buffer.alloc(0);

function groupByDay(lines: PendingLine[]): Map<string, PendingLine[]> {
  const byDay = new Map<string, PendingLine[]>();
  for (const line of lines) {
    const dayLines = byDay.get(line.day);
    if (dayLines === undefined) byDay.set(line.day, [line]);
    else dayLines.push(line);
  }
  return byDay;
}
