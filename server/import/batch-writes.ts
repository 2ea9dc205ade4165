import type { RequestLog } from '../store/index.js';
import { ImportError } from './import-errors.js';
import type { ImportIndex } from './import-index.js';

/** Batch writes queued behind each other before the parser waits: hides file-system latency. */
const WRITES_IN_FLIGHT = 3;

/**
 * The import's batch writes: each flushes the request log and checks its records reached the disk;
 * the batch's ids are then saved to the import index, in batch order — so an id is never saved before
 * its record, and an interrupted import re-imports at most the batches in flight. The saves of one
 * batch overlap the flush of the next (the request log queues its own flushes), and up to
 * WRITES_IN_FLIGHT batches are under way while the parser goes on; {@link commit} then waits for the
 * oldest.
 */
export class BatchWrites {
  readonly #requestLog: RequestLog;
  readonly #index: ImportIndex;
  /** Records the writer had dropped before the import (a running appliance's): not the import's doing. */
  readonly #failedAtStart: number;
  #lastSave: Promise<void> = Promise.resolve();
  readonly #inFlight: Promise<void>[] = [];

  constructor(requestLog: RequestLog, index: ImportIndex) {
    this.#requestLog = requestLog;
    this.#index = index;
    this.#failedAtStart = requestLog.stats().failed;
  }

  /**
   * Queues the write of everything appended so far and the save of the ids recorded since the last
   * commit; resolves at once unless too many writes are in flight.
   * @throws ImportError (from an earlier batch) when the request log could not be written.
   */
  async commit(linesRead: number): Promise<void> {
    const ids = this.#index.takeUnsaved();
    const flushed = this.#flush(linesRead);
    flushed.catch(() => undefined); // awaited in order below; this only avoids an unhandled rejection
    // The previous batch first, so a failure reports the earliest batch that could not be written.
    const saved = this.#lastSave.then(() => flushed).then(() => this.#index.save(ids));
    this.#lastSave = saved;
    // Handled when awaited by commit or done(); this only avoids an unhandled rejection meanwhile.
    saved.catch(() => undefined);
    this.#inFlight.push(saved);
    if (this.#inFlight.length >= WRITES_IN_FLIGHT) await this.#inFlight.shift();
  }

  /** Resolves when every queued write is done. @throws ImportError as {@link commit}. */
  done(): Promise<void> {
    return this.#lastSave;
  }

  async #flush(linesRead: number): Promise<void> {
    const appended = this.#requestLog.stats().appended;
    await this.#requestLog.flush();
    const { written, failed } = this.#requestLog.stats();
    if (written + failed < appended || failed > this.#failedAtStart) {
      throw new ImportError(
        `the request log in ${this.#requestLog.dir} could not be written; ` +
          `stopped near line ${linesRead}. The last batches may be imported again next time.`,
      );
    }
  }
}
