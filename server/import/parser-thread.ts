import { Worker } from 'node:worker_threads';
import type { ImportFormat } from './formats.js';
import { ImportError } from './import-errors.js';
import type { ParsedBatch } from './parse-stage.js';

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
    this.#worker.on('messageerror', (err) => this.#fail(err));
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
