import {
  type AccessRecord,
  type CountedRequest,
  countedRequest,
  serialiseAccessRecord,
} from './access-record.js';
import { joinLines, type LineBytes, LineEncoder } from './encode-lines.js';
import { groupByDay, hoursOf, type PendingRun, PendingRuns } from './pending-runs.js';
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
   * True when records of the clock hour starting at `hourStart` (epoch ms, UTC) will be counted as
   * they are written (a rollup of that hour is cached or being built): only then does a pending
   * record keep its {@link CountedRequest}. Absent: never.
   */
  countsWanted?: (hourStart: number) => boolean;
  /**
   * Told after each write that put lines in `day`'s segment: the clock hours (epoch ms) of written
   * lines that kept no counts, and the counted requests of the others, in order. Lines whose write
   * failed are retried, then told.
   */
  onWritten?: (day: string, uncountedHours: readonly number[], requests: readonly CountedRequest[]) => void;
  /**
   * Told the clock hours (epoch ms) of a day's lines just before they are written: a reader that
   * scans the log meanwhile may see them before `onWritten` (for rollups being built).
   */
  onWriting?: (hours: readonly number[]) => void;
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

const HOUR_MS = 3_600_000;

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
  /** Where the encoder put the last line (reused: an append allocates no position). */
  readonly #line: LineBytes = { slab: EMPTY, start: 0, end: 0 };
  /** Encoded, waiting for a (retried) write. */
  readonly #pending = new PendingRuns();
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
      if (this.#pending.lines > 0 || this.#problems.any()) void this.flush();
    }, options.flushIntervalMs);
    this.#timer.unref();
  }

  /**
   * Enriches, serialises and queues a record for the next flush: no I/O, never throws. The record
   * is not kept: later changes to it are not written. A record that cannot be written (an invalid
   * `@timestamp`, not serialisable) is counted in `failed` and reported at the next flush. Past
   * `maxPendingRecords` unwritten records, the oldest one still waiting is dropped and counted in
   * `failed` (lines a write has under way cannot be: during one, the newest go). After
   * {@link close}, each append flushes at once so nothing is stranded.
   */
  append(record: AccessRecord): void {
    this.#appended++;
    if (this.#queue(record)) {
      this.#fresh++;
      if (this.#unwritten() > this.#options.maxPendingRecords) this.#dropOldest();
    } else {
      this.#failed++;
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
    return this.#pending.lines + this.#inFlight;
  }

  /** Encodes a record and adds its line to the pending runs; false (the problem noted) when it cannot be written. */
  #queue(record: AccessRecord): boolean {
    const problems = this.#problems;
    const { enrich, countsWanted } = this.#options;
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
      return false;
    }
    const hour = Math.floor(Date.parse(timestamp) / HOUR_MS) * HOUR_MS;
    let request: CountedRequest | null;
    try {
      // The rollups' fields are read here too: a record without them is as unwritable as a cycle.
      const counted = countedRequest(record);
      request = countsWanted?.(hour) === true ? counted : null;
      this.#encoder.encode(serialiseAccessRecord(record), this.#line);
    } catch (err) {
      problems.unserialisable(err);
      return false;
    }
    this.#pending.push(day, hour, this.#line, request);
    return true;
  }

  /** Drops the oldest line still waiting (there is one: the caller just queued a line). */
  #dropOldest(): void {
    this.#pending.dropOldest();
    this.#failed++;
  }

  async #writeOnce(): Promise<void> {
    this.#fresh = 0;
    for (const err of this.#problems.take()) this.#report(err);
    if (this.#pending.lines === 0) return;
    this.#inFlight = this.#pending.lines;
    const runs = this.#pending.take();
    const writtenByDay = new Map<string, number>();
    for (const [day, dayRuns] of groupByDay(runs)) {
      // A scan running meanwhile may read these lines before they are told written below.
      this.#tell(() => this.#options.onWriting?.(hoursOf(dayRuns)));
      const written = await this.#writeDay(day, dayRuns);
      if (written > 0) this.#tell(() => this.#tellWritten(day, dayRuns, written));
      writtenByDay.set(day, written);
      // Move them from in flight to written together, so stats() stays consistent mid-flush.
      this.#written += written;
      this.#inFlight -= written;
    }
    this.#inFlight = 0;
    // Retry what did not reach the disk, in the original order, before what came in meanwhile. No
    // cap to apply again: the lines put back were counted in flight while appends kept within it.
    this.#pending.putBack(runs, writtenByDay);
  }

  /** Tells `onWritten` about the first `written` lines of `runs`, a day's runs in order. */
  #tellWritten(day: string, runs: readonly PendingRun[], written: number): void {
    const { onWritten } = this.#options;
    if (onWritten === undefined) return;
    const uncountedHours: number[] = [];
    const requests: CountedRequest[] = [];
    let left = written;
    for (const run of runs) {
      if (left <= 0) break;
      const lines = Math.min(left, run.lines);
      left -= lines;
      if (run.requests === null) {
        if (!uncountedHours.includes(run.hour)) uncountedHours.push(run.hour);
      } else {
        for (let i = 0; i < lines; i++) requests.push(run.requests[i] as CountedRequest);
      }
    }
    onWritten(day, uncountedHours, requests);
  }

  /**
   * Writes a day's runs, normally in one write; only a backlog left by failures (more than
   * `maxBatch` lines) is split, to bound the buffer. Returns how many leading lines reached the disk.
   */
  async #writeDay(day: string, runs: readonly PendingRun[]): Promise<number> {
    const { maxBatch } = this.#options;
    let written = 0;
    for (let from = 0; from < runs.length; ) {
      let to = from;
      let lines = 0;
      // At least one run per write, however long (a run is at most one slab).
      while (to < runs.length && (to === from || lines + (runs[to] as PendingRun).lines <= maxBatch)) {
        lines += (runs[to] as PendingRun).lines;
        to++;
      }
      const body = joinLines(from === 0 && to === runs.length ? runs : runs.slice(from, to));
      const { written: chunkWritten, failed } = await this.#segments.append(day, body, lines);
      if (failed) this.#writeErrors++;
      written += chunkWritten;
      if (chunkWritten < lines) break;
      from = to;
    }
    return written;
  }

  /** Runs a hook; one that throws is reported, and the write goes on (its lines must not be lost). */
  #tell(hook: () => void): void {
    try {
      hook();
    } catch (err) {
      this.#report(new RequestLogWriteError('request log: a write hook failed', null, err));
    }
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

/** What the encoder's position points at before its first line. */
const EMPTY = Buffer.alloc(0);
