import type { ImportFormat } from './formats.js';
import type { LineSource } from './line-source.js';
import type { ParsedBatch } from './parse-stage.js';
import { ParserThread } from './parser-thread.js';

/** Chunks (up to 256 KiB each) handed to the parser thread before reading waits for it. */
const CHUNKS_AHEAD = 4;

/**
 * Takes one parsed batch. `stopped()` turns true once reading or parsing has failed: the handler
 * should then return without appending anything more.
 */
export type BatchHandler = (batch: ParsedBatch, stopped: () => boolean) => Promise<void>;

/**
 * Reads `source` into a {@link ParserThread} for `format` and hands each batch it answers to
 * `onBatch`, in order, as soon as it arrives (so a slow upload still shows progress), the last one
 * with `last` set. Reading stays at most CHUNKS_AHEAD chunks ahead of `onBatch`, which bounds memory.
 * Resolves with the last batch. Rejects with the first failure of the source, the thread or
 * `onBatch`, and only once `onBatch` has returned: nothing is handled after the rejection. The
 * thread is ended either way; the source is closed at its next chunk.
 */
export async function parseInThread(
  source: LineSource,
  format: ImportFormat | 'auto',
  onBatch: BatchHandler,
): Promise<ParsedBatch> {
  const parser = new ParserThread(format);
  let ahead = 0;
  let slotFree: (() => void) | null = null;
  /** The first failure of either side; a holder, as both async sides set it. */
  const outcome: { failure: { error: unknown } | null } = { failure: null };
  const stopped = () => outcome.failure !== null;
  const wakeReader = () => {
    const free = slotFree;
    slotFree = null;
    free?.();
  };
  const fail = (error: unknown) => {
    outcome.failure ??= { error };
    wakeReader();
    // Ends a wait for the next batch, so the consumer returns.
    void parser.stop();
  };
  const consume = async (): Promise<ParsedBatch | undefined> => {
    for (;;) {
      const batch = await parser.next();
      await onBatch(batch, stopped);
      if (stopped()) return undefined;
      ahead--;
      wakeReader();
      if (batch.last) return batch;
    }
  };
  const read = async () => {
    for await (const chunk of source.chunks) {
      parser.send(chunk);
      if (++ahead >= CHUNKS_AHEAD) {
        await new Promise<void>((resolve) => {
          slotFree = resolve;
        });
      }
      // Leaving the loop closes the source (its file, or the upload).
      if (stopped()) return;
    }
    parser.end();
  };
  try {
    const reading = read().catch(fail);
    const last = await consume().catch(fail);
    if (outcome.failure === null) await reading;
    if (outcome.failure !== null) throw outcome.failure.error;
    return last as ParsedBatch;
  } finally {
    await parser.stop();
  }
}
