import { hash } from 'node:crypto';

/** How long (ms of log time) an occurrence count is kept for a line text: identical lines further apart than this in log time count afresh. */
const OCCURRENCE_WINDOW_MS = 10 * 60 * 1000;
/** Lines between sweeps of expired occurrence counts. */
const SWEEP_EVERY = 50_000;

/** 128 bits of SHA-1 in base64url: 22 characters. */
function digest(text: string): string {
  // One-shot crypto.hash (Node ≥ 20.12) costs half of createHash().update().digest() per line.
  return hash('sha1', text, 'base64url').slice(0, 22);
}

/**
 * Deterministic event ids for imported lines: a hash of the line's text (trailing whitespace
 * trimmed) and how many identical lines came before it in the same file. Two identical lines in one
 * file (two requests in the same second) stay two records; importing the same file again yields the
 * same ids, so nothing is added twice — whatever the file is called, and from stdin too.
 *
 * Identical lines share a timestamp, so counts are only kept for OCCURRENCE_WINDOW_MS of log time
 * (10 minutes, far beyond the few seconds of disorder in real logs): memory stays bounded by the
 * traffic of that window, not the file size. Timestamps are compared as ISO text (which sorts in
 * time order), so no line pays for a date parse.
 */
export class LineIds {
  /** First-seen ISO timestamp of each line hash in the window. */
  readonly #firstSeen = new Map<string, string>();
  /** Occurrences so far of the hashes met more than once (rare: most lines are unique). */
  readonly #repeats = new Map<string, number>();
  #latest = '';
  #sinceSweep = 0;

  /** The id of `line`, whose record has this ISO `timestamp`: 22 base64url chars (128 bits of SHA-1). */
  next(line: string, timestamp: string): string {
    const base = digest(line.trimEnd());
    if (timestamp > this.#latest) this.#latest = timestamp;
    if (++this.#sinceSweep >= SWEEP_EVERY) this.#sweep();
    if (!this.#firstSeen.has(base)) {
      this.#firstSeen.set(base, timestamp);
      return base;
    }
    const occurrence = this.#repeats.get(base) ?? 1;
    this.#repeats.set(base, occurrence + 1);
    return digest(`${base}\n${occurrence}`);
  }

  #sweep(): void {
    this.#sinceSweep = 0;
    const latestMs = Date.parse(this.#latest);
    if (!Number.isFinite(latestMs)) return;
    const oldest = new Date(latestMs - OCCURRENCE_WINDOW_MS).toISOString();
    for (const [base, first] of this.#firstSeen) {
      if (first < oldest) {
        this.#firstSeen.delete(base);
        this.#repeats.delete(base);
      }
    }
  }
}
