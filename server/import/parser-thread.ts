import { Worker } from 'node:worker_threads';
import type { ImportFormat } from './formats.js';
import { ImportError } from './import-errors.js';
import type { LineSource } from './line-source.js';
import type { ParsedBatch } from './parse-stage.js';

/** Chunks (up to 256 KiB each) handed to the parser thread before reading waits for it. */
const CHUNKS_AHEAD = 4;

/** A message to the parser thread: the next chunk of log bytes, or the end of the log. */
export type ParserRequest = { end?: false; chunk: Uint8Array } | { end: true };
/** Its answer to each request, in order: the records parsed, or why parsing stopped. */
export type ParserReply = { batch: ParsedBatch } | { error: { message: string; importError: boolean } };

/**
 * Starts the worker script next to this module: `.js` once compiled; `.ts` when running from source
 * (tests, `tsx`), loaded through tsx's ESM hooks registered inside the worker first (Node 20 does not
 * apply an `--import` hook to a worker's own entry module).
 */
function startWorker(format: ImportFormat | 'auto'): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts'))
    return new Worker(new URL('./parse-worker.js', here), { workerData: { format } });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const script = new URL('./parse-worker.ts', here).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(boot, { eval: true, workerData: { format } });
}

/**
 * The import's parsing on a second thread, so reading, splitting, parsing and hashing lines overlap
 * the main thread's dedupe, geolocation and request log writes: on the 2-core bench machine the
 * import went from ~95,000 to over 100,000 lines/s (README "Performance"). Every {@link send} and the
 * one {@link end} get exactly one batch from {@link next}, in order; the caller bounds how many it
 * sends ahead, which bounds memory.
 */
export class ParserThread {
  readonly #worker: Worker;
  readonly #replies: ParserReply[] = [];
  readonly #waiting: { resolve: (batch: ParsedBatch) => void; reject: (err: Error) => void }[] = [];
  #failure: Error | null = null;
  #stopped = false;

  /** Starts the thread for `format` (or `auto`); it loads while the first chunk is read. */
  constructor(format: ImportFormat | 'auto') {
    this.#worker = startWorker(format);
    this.#worker.on('message', (reply: ParserReply) => this.#deliver(reply));
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => {
      if (!this.#stopped)
        this.#fail(new Error(`the import's parser thread stopped unexpectedly (exit code ${code})`));
    });
  }

  /** Hands the thread the next chunk of log bytes (copied; the caller may reuse it). */
  send(chunk: Uint8Array): void {
    this.#worker.postMessage({ chunk } satisfies ParserRequest);
  }

  /** Tells the thread the log has ended: its batch includes a last line without `\n`. */
  end(): void {
    this.#worker.postMessage({ end: true } satisfies ParserRequest);
  }

  /**
   * The batch for the oldest unanswered {@link send} or {@link end}.
   * @throws ImportError when the format cannot be detected; Error when the thread failed.
   */
  next(): Promise<ParsedBatch> {
    const reply = this.#replies.shift();
    if (reply !== undefined) return settle(reply);
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Ends the thread, whatever it was doing; a {@link next} still waiting rejects. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#fail(new Error('the import parser thread was stopped'));
    await this.#worker.terminate();
  }

  #deliver(reply: ParserReply): void {
    const waiter = this.#waiting.shift();
    if (waiter === undefined) this.#replies.push(reply);
    else settle(reply).then(waiter.resolve, waiter.reject);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
  }
}

function settle(reply: ParserReply): Promise<ParsedBatch> {
  if ('batch' in reply) return Promise.resolve(reply.batch);
  const { message, importError } = reply.error;
  return Promise.reject(
    importError ? new ImportError(message) : new Error(`import parser thread: ${message}`),
  );
}

/**
 * Reads `source` into a {@link ParserThread} for `format` and hands each batch it answers to
 * `onBatch`, in order, as soon as it arrives (so a slow upload still shows progress), the last one
 * with `last` set. Reading stays at most CHUNKS_AHEAD chunks ahead of `onBatch`, which bounds memory.
 * Rejects with the first failure of the source, the thread or `onBatch`; the thread is ended either way.
 */
export async function parseInThread(
  source: LineSource,
  format: ImportFormat | 'auto',
  onBatch: (batch: ParsedBatch) => Promise<void>,
): Promise<void> {
  const parser = new ParserThread(format);
  let ahead = 0;
  let slotFree: (() => void) | null = null;
  let stopped = false;
  const wakeReader = () => {
    const free = slotFree;
    slotFree = null;
    free?.();
  };
  const consume = async () => {
    for (;;) {
      const batch = await parser.next();
      await onBatch(batch);
      ahead--;
      wakeReader();
      if (batch.last) return;
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
      // Leaving the loop closes the source (its file, or the upload) when the rest has failed.
      if (stopped) return;
    }
    parser.end();
  };
  try {
    await Promise.all([read(), consume()]);
  } finally {
    stopped = true;
    wakeReader();
    await parser.stop();
  }
}
