import { type AccessRecord, serialiseAccessRecord } from './access-record.js';
import { RequestLogWriteError } from './request-log-errors.js';
import { SegmentAppender } from './segment-append.js';
import { segmentDayOf } from './segment-files.js';

/** Settings of a {@link RequestLogWriter}; times in ms, sizes in records. */
export interface RequestLogWriterOptions {
  dir: string;
  flushIntervalMs: number;
  maxBatch: number;
  maxPendingRecords: number;
  enrich?: (record: AccessRecord) => void;
  onError: (err: Error) => void;
  /** Told the records that reached the disk after each write (for rollup caches); failed ones are retried, then told. */
  onWritten?: (records: AccessRecord[]) => void;
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

interface PendingLine {
  day: string;
  line: string;
  record: AccessRecord;
}

/**
 * Records enriched and serialised in one go during a flush; the event loop runs between slices.
 * A second's worth of records in one go (geolocation of new addresses included) held the proxy up
 * for 5–40 ms, which showed in its p99 latency (README "Performance"); a slice is well under 1 ms.
 */
const SERIALISE_SLICE = 128;

/**
 * Batches access records in memory and appends them to the day segments off the request path.
 * `append` is O(1) and never does I/O or throws; a timer (unref'd) and a full batch trigger flushes,
 * which run one at a time, so a segment never sees two concurrent writes.
 */
export class RequestLogWriter {
  readonly #options: RequestLogWriterOptions;
  readonly #timer: NodeJS.Timeout;
  /** Appended, not yet serialised. */
  #batch: AccessRecord[] = [];
  /**
   * Records before this index of `#batch` were dropped as oldest: dropping by `shift()` moved every
   * record left, so a backlog at the cap (a failing disk) cost each new request a 100,000-element move.
   */
  #batchHead = 0;
  /** Serialised, waiting for a (retried) write; `#pendingHead` skips lines dropped as oldest. */
  #pending: PendingLine[] = [];
  #pendingHead = 0;
  #inFlight = 0;
  /** Taken from `#batch` by a flush that is still enriching and serialising them. */
  #serialising = 0;
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
      if (this.#batchCount() > 0 || this.#pendingCount() > 0) void this.flush();
    }, options.flushIntervalMs);
    this.#timer.unref();
  }

  /**
   * Queues a record for the next flush: O(1), no serialisation, no I/O, never throws. Do not mutate
   * the record afterwards. Past `maxPendingRecords` unwritten records, the oldest is dropped and
   * counted in `failed`. After {@link close}, each append flushes at once so nothing is stranded.
   */
  append(record: AccessRecord): void {
    this.#appended++;
    this.#batch.push(record);
    if (this.#unwritten() > this.#options.maxPendingRecords) {
      this.#dropOldest();
    }
    if (this.#batchCount() >= this.#options.maxBatch || this.#closed) void this.flush();
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
    return this.#batchCount() + this.#serialising + this.#pendingCount() + this.#inFlight;
  }

  #batchCount(): number {
    return this.#batch.length - this.#batchHead;
  }

  #pendingCount(): number {
    return this.#pending.length - this.#pendingHead;
  }

  #dropOldest(): void {
    if (this.#pendingCount() > 0) this.#pendingHead++;
    else if (++this.#batchHead >= 1024 && this.#batchHead * 8 >= this.#batch.length) {
      // Compact once the dropped head is an eighth of the array: at most 8 moves a drop, and dropped
      // records held past the cap stay under a seventh of it (14,000 at the default 100,000).
      this.#batch = this.#batch.slice(this.#batchHead);
      this.#batchHead = 0;
    }
    this.#failed++;
  }

  async #writeOnce(): Promise<void> {
    await this.#serialiseBatch();
    if (this.#pendingCount() === 0) return;
    const lines = this.#pending.slice(this.#pendingHead);
    this.#pending = [];
    this.#pendingHead = 0;
    this.#inFlight = lines.length;
    const writtenByDay = new Map<string, number>();
    for (const [day, dayLines] of groupByDay(lines)) {
      const written = await this.#writeDay(
        day,
        dayLines.map((l) => l.line),
      );
      // Told at once, with no await in between, so no reader can see these lines and be told again.
      this.#options.onWritten?.(dayLines.slice(0, written).map((l) => l.record));
      writtenByDay.set(day, written);
      // Move them from in flight to written together, so stats() stays consistent mid-flush.
      this.#written += written;
      this.#inFlight -= written;
    }
    this.#inFlight = 0;

    // Retry what did not reach the disk, in the original order, within the memory bound.
    const unwritten = lines.filter(({ day }) => {
      const skip = writtenByDay.get(day) ?? 0;
      writtenByDay.set(day, skip - 1);
      return skip <= 0;
    });
    if (unwritten.length > 0) {
      this.#pending = unwritten;
      const excess = this.#batchCount() + unwritten.length - this.#options.maxPendingRecords;
      for (let i = 0; i < excess; i++) this.#dropOldest();
    }
  }

  /**
   * Writes a day's lines, normally in one write; only a backlog left by failures (more than
   * `maxBatch` lines) is split, to bound the buffer. Returns how many leading lines reached the disk.
   */
  async #writeDay(day: string, lines: string[]): Promise<number> {
    const { maxBatch } = this.#options;
    let written = 0;
    for (let from = 0; from < lines.length; from += maxBatch) {
      const slice = lines.slice(from, from + maxBatch);
      const { written: sliceWritten, failed } = await this.#segments.append(day, slice);
      if (failed) this.#writeErrors++;
      written += sliceWritten;
      if (sliceWritten < slice.length) break;
    }
    return written;
  }

  /**
   * Enriches and serialises the batch into `#pending`, {@link SERIALISE_SLICE} records at a time
   * with the event loop running in between; records that cannot be written are dropped.
   */
  async #serialiseBatch(): Promise<void> {
    const batch = this.#batchHead === 0 ? this.#batch : this.#batch.slice(this.#batchHead);
    this.#batch = [];
    this.#batchHead = 0;
    this.#serialising = batch.length;
    const { enrich } = this.#options;
    let enrichError: unknown;
    let badTimestamp: unknown;
    let badTimestamps = 0;
    let unserialisable: unknown;
    let unserialisables = 0;
    for (let i = 0; i < batch.length; i++) {
      if (i > 0 && i % SERIALISE_SLICE === 0) await new Promise(setImmediate);
      const record = batch[i] as AccessRecord;
      this.#serialising--;
      if (enrich !== undefined) {
        try {
          enrich(record);
        } catch (err) {
          // The record is still worth keeping without enrichment; report once per batch.
          enrichError ??= err;
        }
      }
      const timestamp = record['@timestamp'];
      const day = typeof timestamp === 'string' ? segmentDayOf(timestamp) : null;
      if (day === null) {
        badTimestamps++;
        badTimestamp ??= timestamp;
        continue;
      }
      try {
        this.#pending.push({ day, line: serialiseAccessRecord(record), record });
      } catch (err) {
        unserialisables++;
        unserialisable ??= err;
      }
    }
    this.#failed += badTimestamps + unserialisables;
    if (enrichError !== undefined) {
      this.#report(
        new RequestLogWriteError(
          'request log: enrich hook failed; wrote records as given',
          null,
          enrichError,
        ),
      );
    }
    if (badTimestamps > 0) {
      const message = `request log: dropped ${badTimestamps} record(s) with an invalid @timestamp, e.g. ${JSON.stringify(badTimestamp)}`;
      this.#report(new RequestLogWriteError(message, null));
    }
    if (unserialisables > 0) {
      const message = `request log: dropped ${unserialisables} record(s) that could not be serialised to JSON`;
      this.#report(new RequestLogWriteError(message, null, unserialisable));
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

function groupByDay(lines: PendingLine[]): Map<string, PendingLine[]> {
  const byDay = new Map<string, PendingLine[]>();
  for (const line of lines) {
    const dayLines = byDay.get(line.day);
    if (dayLines === undefined) byDay.set(line.day, [line]);
    else dayLines.push(line);
  }
  return byDay;
}
