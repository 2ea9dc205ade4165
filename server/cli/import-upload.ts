import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ImportFormat, ImportJob, ImportProgress, ImportSummary } from '../import/index.js';
import { type AdminClient, CliError } from './admin-client.js';

/** Least time between two polls of the running import for the progress line, ms. */
const POLL_MS = 200;

/** What {@link importThroughApi} sends and to whom. */
export interface ImportUploadOptions {
  client: AdminClient;
  /** Absolute path of the log, or `-` for `stdin`. */
  file: string;
  /** What error messages call it (the argument as given, or `stdin`). */
  source: string;
  format: ImportFormat | 'auto';
  stdin: Readable;
  onProgress?: (progress: ImportProgress) => void;
}

/**
 * Streams a log to the running appliance's `POST /api/import`, so its own request log writer does
 * the writing, and resolves the import's summary. While the upload runs, the import's counts are
 * polled for `onProgress` (bytes and percent from what has been sent).
 * @throws CliError with the API's message when it refuses (409 busy, 400, 422) or the file cannot be read.
 */
export async function importThroughApi(options: ImportUploadOptions): Promise<ImportSummary> {
  const { client, file } = options;
  const totalBytes = file === '-' ? undefined : await sizeOf(file, options.source);
  let bytesRead = 0;
  async function* counted(input: Readable): AsyncGenerator<Uint8Array> {
    for await (const chunk of input) {
      bytesRead += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  // What the UI and GET /api/imports call it: the file's name (the API takes up to 200 characters).
  const name = (file === '-' ? 'stdin' : path.basename(file)).slice(0, 200);
  const started = performance.now();
  const poll = async () => {
    const { imports } = await client.json<{ imports: ImportJob[] }>('GET', '/api/imports');
    const running = imports.find((job) => job.state === 'running' && job.source === name);
    if (running) {
      const elapsedMs = performance.now() - started;
      options.onProgress?.({ ...running.progress, bytesRead, totalBytes, elapsedMs });
    }
  };
  // A missed poll only leaves the progress line as it was until the next one.
  const timer = options.onProgress
    ? setInterval(() => void poll().catch(() => undefined), POLL_MS)
    : undefined;
  try {
    const query = new URLSearchParams({ format: options.format, name });
    const input = file === '-' ? options.stdin : createReadStream(file, { highWaterMark: 256 * 1024 });
    const answer = await client.upload<{ import?: ImportJob; error?: { message?: string } }>(
      `/api/import?${query}`,
      counted(input),
    );
    const summary = answer.body.import?.summary;
    if (answer.status !== 200 || summary === undefined) {
      throw new CliError(answer.body.error?.message ?? `the admin API answered ${answer.status}`);
    }
    return summary;
  } finally {
    clearInterval(timer);
  }
}

async function sizeOf(file: string, source: string): Promise<number> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new CliError(`cannot read ${source}: it is a directory`);
    return info.size;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read ${source}: ${(err as Error).message}`);
  }
}
