import type { CountedRequest } from './access-record.js';
import type { LineBytes } from './encode-lines.js';

const NEWLINE = 0x0a;

/**
 * Pending lines that lie one after the other in one slab and belong to one clock hour: what waits
 * for the flush is one of these per slab (about 150 lines), not an object per record, so at full
 * load the garbage collector finds a few hundred objects to copy and promote, not a second's worth
 * of records (README "Performance"). A line's end is its `\n`, the only newline byte in a line.
 */
export interface PendingRun extends LineBytes {
  day: string;
  /** Start of the lines' clock hour, epoch ms. */
  hour: number;
  lines: number;
  /** What the rollups count of each line, in order, when they asked for it (`countsWanted`); else null. */
  requests: CountedRequest[] | null;
}

/**
 * The request log's encoded lines waiting for a write, oldest first, as {@link PendingRun}s. A line
 * extends the newest run when its bytes follow that run's in the same slab, for the same hour and
 * with counts kept alike; otherwise it starts a run.
 */
export class PendingRuns {
  #runs: PendingRun[] = [];
  /** Runs before this index were dropped as oldest (compacted away in batches). */
  #head = 0;
  #lines = 0;

  /** Lines waiting. */
  get lines(): number {
    return this.#lines;
  }

  /** Adds the line whose bytes are at `bytes` (copied out: the caller may reuse it). */
  push(day: string, hour: number, bytes: LineBytes, request: CountedRequest | null): void {
    const { slab, start, end } = bytes;
    const last = this.#runs.length > this.#head ? this.#runs.at(-1) : undefined;
    if (
      last !== undefined &&
      last.slab === slab &&
      last.end === start &&
      last.hour === hour &&
      (last.requests === null) === (request === null)
    ) {
      last.end = end;
      last.lines++;
      if (request !== null) last.requests?.push(request);
    } else {
      this.#runs.push({
        day,
        hour,
        slab,
        start,
        end,
        lines: 1,
        requests: request === null ? null : [request],
      });
    }
    this.#lines++;
  }

  /** Drops the oldest line. Call only while {@link lines} > 0. */
  dropOldest(): void {
    const run = this.#runs[this.#head] as PendingRun;
    if (run.lines > 1) {
      run.start = run.slab.indexOf(NEWLINE, run.start) + 1;
      run.lines--;
      run.requests?.shift();
    } else if (++this.#head >= 16 && this.#head * 2 >= this.#runs.length) {
      // Compact once dropped runs are half the array: each holds its slab, so they must not pile up
      // under a disk that stays down; an element moves at most once per compaction.
      this.#runs = this.#runs.slice(this.#head);
      this.#head = 0;
    }
    this.#lines--;
  }

  /** Takes every waiting run, oldest first (for a write), and leaves the queue empty. */
  take(): PendingRun[] {
    const runs = this.#head === 0 ? this.#runs : this.#runs.slice(this.#head);
    this.#runs = [];
    this.#head = 0;
    this.#lines = 0;
    return runs;
  }

  /**
   * Puts back, before the lines queued since, the lines of `runs` (taken for a write) that did not
   * reach the disk: `written` says how many leading lines of each day did. Returns how many came back.
   */
  putBack(runs: readonly PendingRun[], written: ReadonlyMap<string, number>): number {
    const left = new Map(written);
    const unwritten: PendingRun[] = [];
    let lines = 0;
    for (const run of runs) {
      const skip = left.get(run.day) ?? 0;
      left.set(run.day, Math.max(0, skip - run.lines));
      if (skip < run.lines) {
        unwritten.push(skip === 0 ? run : linesAfter(run, skip));
        lines += run.lines - skip;
      }
    }
    if (lines > 0) {
      this.#runs = unwritten.concat(this.#runs.slice(this.#head));
      this.#head = 0;
      this.#lines += lines;
    }
    return lines;
  }
}

/** The distinct clock hours of `runs`. */
export function hoursOf(runs: readonly PendingRun[]): number[] {
  const hours: number[] = [];
  for (const run of runs) if (!hours.includes(run.hour)) hours.push(run.hour);
  return hours;
}

/** `runs` by day, each day's in their order. */
export function groupByDay(runs: readonly PendingRun[]): Map<string, PendingRun[]> {
  const byDay = new Map<string, PendingRun[]>();
  for (const run of runs) {
    const dayRuns = byDay.get(run.day);
    if (dayRuns === undefined) byDay.set(run.day, [run]);
    else dayRuns.push(run);
  }
  return byDay;
}

/** The lines of `run` after its first `skip` (0 < skip < run.lines), as a new run. */
function linesAfter(run: PendingRun, skip: number): PendingRun {
  let start = run.start;
  for (let i = 0; i < skip; i++) start = run.slab.indexOf(NEWLINE, start) + 1;
  return { ...run, start, lines: run.lines - skip, requests: run.requests?.slice(skip) ?? null };
}
