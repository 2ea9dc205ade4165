import { createHash } from 'node:crypto';

/** How long (ms of log time) an occurrence count is kept for a line text: identical lines further apart than this in log time count afresh. */
const OCCURRENCE_WINDOW_MS = 10 * 60 * 1000;
/** Lines between sweeps of expired occurrence counts. */
const SWEEP_EVERY = 50_000;

/**
 * Deterministic event ids for imported lines: a hash of the line's text (trailing whitespace
 * trimmed) and how many identical lines came before it in the same file. Two identical lines in one
 * file (two requests in the same second) stay two records; importing the same file again yields the
 * same ids, so nothing is added twice — whatever the file is called, and from stdin too.
 *
 * Identical lines share a timestamp, so counts are only kept for OCCURRENCE_WINDOW_MS of log time
 * (10 minutes, far beyond the few seconds of disorder in real logs): memory stays bounded by the
 * traffic of that window, not the file size.
 */
export class LineIds {
  readonly #counts = new Map<string, { count: number; ms: number }>();
  #latestMs = Number.NEGATIVE_INFINITY;
  #sinceSweep = 0;
  #lastTimestamp = '';
  #lastMs = 0;

  /** The id of `line`, whose record has this ISO `timestamp`: 22 base64url chars (128 bits of SHA-1). */
  next(line: string, timestamp: string): string {
    const ms = timestamp === this.#lastTimestamp ? this.#lastMs : this.#parse(timestamp);
    const base = createHash('sha1').update(line.trimEnd()).digest('base64url').slice(0, 22);
    const seen = this.#counts.get(base);
    if (ms > this.#latestMs) this.#latestMs = ms;
    if (++this.#sinceSweep >= SWEEP_EVERY) this.#sweep();
    if (seen === undefined) {
      this.#counts.set(base, { count: 1, ms });
      return base;
    }
    const occurrence = seen.count++;
    return createHash('sha1').update(`${base}\n${occurrence}`).digest('base64url').slice(0, 22);
  }

  #parse(timestamp: string): number {
    this.#lastTimestamp = timestamp;
    this.#lastMs = Date.parse(timestamp);
    return this.#lastMs;
  }

  #sweep(): void {
    this.#sinceSweep = 0;
    const oldest = this.#latestMs - OCCURRENCE_WINDOW_MS;
    for (const [base, entry] of this.#counts) if (entry.ms < oldest) this.#counts.delete(base);
  }
}
