import { type FileHandle, open } from 'node:fs/promises';
import type { IpIndex } from './ip-index.js';
import { type LineBatch, readLinesNewestFirst, type SegmentLine } from './segment-reader.js';

/** Lines read per batch from index offsets. */
const BATCH = 64;
/** First read per line; longer lines are read again whole. */
const FIRST_READ = 1024;
/** Longest line decoded, as in the segment readers; longer ones come back with `text: null`. */
const MAX_LINE_BYTES = 1024 * 1024;

/**
 * One IP's lines of a segment, newest first, using its {@link IpIndex}: first the tail the index
 * does not cover (scanned, pre-filtered by `needle`), then the indexed `offsets` (ascending, from
 * {@link lookupIpIndex}) read one line each. Only lines starting before `end` (a cursor) are
 * yielded. Same batch shape as {@link readLinesNewestFirst}. Rejects on I/O errors.
 */
export async function* readIndexedLinesNewestFirst(
  file: string,
  index: IpIndex,
  offsets: number[],
  options: { end?: number; needle?: Buffer },
): AsyncGenerator<LineBatch> {
  yield* readLinesNewestFirst(file, { end: options.end, needle: options.needle, start: index.covered });
  const end = options.end ?? Number.POSITIVE_INFINITY;
  let next = offsets.length - 1;
  while (next >= 0 && (offsets[next] as number) >= end) next--;
  if (next < 0) return;
  const handle = await open(file, 'r');
  try {
    while (next >= 0) {
      const lines: SegmentLine[] = [];
      for (; next >= 0 && lines.length < BATCH; next--) {
        const offset = offsets[next] as number;
        lines.push({ offset, text: await readLineAt(handle, offset) });
      }
      yield { lines, lineCount: lines.length };
    }
  } finally {
    await handle.close();
  }
}

/** The line starting at `offset`, without its '\n'; null when longer than {@link MAX_LINE_BYTES}. */
async function readLineAt(handle: FileHandle, offset: number): Promise<string | null> {
  for (let length = FIRST_READ; ; length *= 16) {
    const buffer = Buffer.allocUnsafe(Math.min(length, MAX_LINE_BYTES + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (newline !== -1) return buffer.toString('utf8', 0, newline);
    if (bytesRead < buffer.length) return buffer.toString('utf8', 0, bytesRead);
    if (buffer.length > MAX_LINE_BYTES) return null;
  }
}
