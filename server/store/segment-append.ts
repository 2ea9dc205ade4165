import { type FileHandle, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { RequestLogWriteError } from './request-log-errors.js';
import { segmentName } from './segment-files.js';

const NEWLINE = 0x0a;
const SEPARATOR = Buffer.from('\n');

/**
 * Appends NDJSON lines to the day segments of one directory, one write per call. A segment's tail
 * that this appender did not write itself may be torn (a crash, an earlier failure), so the first
 * append to it starts on a fresh line: a torn line stays one unreadable line, never glued to a
 * record. Errors are reported through `report`, never thrown.
 */
export class SegmentAppender {
  readonly #dir: string;
  readonly #report: (err: Error) => void;
  /** Days whose segment ends with a line this appender wrote whole. */
  readonly #cleanTails = new Set<string>();

  constructor(dir: string, report: (err: Error) => void) {
    this.#dir = dir;
    this.#report = report;
  }

  /** Forgets what it knew of `day`'s segment (deleted by retention, or replaced). */
  forget(day: string): void {
    this.#cleanTails.delete(day);
  }

  /**
   * Appends `body`, `lines` lines of UTF-8 each ending in `\n` (see LineEncoder), to `day`'s
   * segment in one write and returns how many complete lines reached the file: all of them, or after
   * a failure (reported) those before the torn point, so a retry does not duplicate.
   */
  async append(day: string, body: Buffer, lines: number): Promise<{ written: number; failed: boolean }> {
    const file = path.join(this.#dir, segmentName(day));
    let handle: FileHandle | undefined;
    let bodyStart = -1;
    try {
      handle = await this.#openForAppend(file);
      const { size } = await handle.stat();
      const torn = size > 0 && !this.#cleanTails.has(day) && (await lastByte(handle, size)) !== NEWLINE;
      bodyStart = size + (torn ? 1 : 0);
      await handle.appendFile(torn ? Buffer.concat([SEPARATOR, body]) : body);
      this.#cleanTails.add(day);
      return { written: lines, failed: false };
    } catch (err) {
      this.#cleanTails.delete(day);
      this.#report(
        new RequestLogWriteError(`request log: cannot write ${file}: ${(err as Error).message}`, file, err),
      );
      const written =
        handle === undefined || bodyStart < 0 ? 0 : await completeLinesWritten(handle, bodyStart, body);
      return { written, failed: true };
    } finally {
      await handle?.close().catch((err: unknown) => {
        this.#report(new RequestLogWriteError(`request log: cannot close ${file}`, file, err));
      });
    }
  }

  async #openForAppend(file: string): Promise<FileHandle> {
    try {
      return await open(file, 'a+');
    } catch (err) {
      // The data dir was removed under us (an operator cleaning up): recreate it once.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(this.#dir, { recursive: true });
      return await open(file, 'a+');
    }
  }
}

async function lastByte(handle: FileHandle, size: number): Promise<number | undefined> {
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, size - 1);
  return byte[0];
}

/**
 * Counts the lines of `body` that were fully written before a failed append that began at
 * `bodyStart`, a line missing only its `\n` included.
 */
async function completeLinesWritten(handle: FileHandle, bodyStart: number, body: Buffer): Promise<number> {
  let size: number;
  try {
    ({ size } = await handle.stat());
  } catch {
    // Unknown progress: retry every line; a partial write then shows up as duplicates, not losses.
    return 0;
  }
  const written = body.subarray(0, Math.max(0, Math.min(body.length, size - bodyStart)));
  let count = 0;
  for (let i = written.indexOf(NEWLINE); i !== -1; i = written.indexOf(NEWLINE, i + 1)) count++;
  // A line torn just before its `\n` is whole: the next append starts with the separator that ends
  // it, so retrying it would write it twice.
  if (written.length > 0 && written.length < body.length && body[written.length] === NEWLINE) count++;
  return count;
}
