import { type FileHandle, open } from 'node:fs/promises';

/**
 * One line of a segment. `offset` is the byte offset of its first byte in the file. `text` is the
 * decoded line without its '\n', or null when the line was longer than `maxLineBytes` and was
 * skipped unread (a corrupt file must not make a reader buffer it whole).
 */
export interface SegmentLine {
  offset: number;
  text: string | null;
}

/**
 * The lines of one read chunk. `lineCount` counts every non-empty line met, including those left
 * out of `lines` because they lack the `needle`.
 */
export interface LineBatch {
  lines: SegmentLine[];
  lineCount: number;
}

/** Options for the segment readers. Offsets and sizes are in bytes. */
export interface LineReaderOptions {
  /** Read only bytes before this offset (default: the file size when the read starts). */
  end?: number;
  /** Start at (oldest-first) or stop at (newest-first) this offset, which must be a line start (default 0). */
  start?: number;
  /** Bytes read per system call (default 64 KiB). */
  chunkBytes?: number;
  /** Longest line decoded (default 1 MiB); longer lines come back with `text: null`. */
  maxLineBytes?: number;
  /**
   * Only decode lines containing these bytes (must not contain '\n'). Found with one native search
   * per chunk, so selective queries skip UTF-8 decoding of almost every line.
   */
  needle?: Buffer;
}

const NEWLINE = 0x0a;
const DEFAULT_CHUNK_BYTES = 64 * 1024;
const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** Opens a segment for reading, or returns null when it does not exist (deleted by retention). */
async function openSegment(file: string): Promise<FileHandle | null> {
  try {
    return await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Fills `buffer` from `position`; a file that shrank under the reader is an error, not a short read. */
async function readExactly(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) throw new Error(`segment shrank while being read (at byte ${position + filled})`);
    filled += bytesRead;
  }
}

/** Start positions of `needle` in `data[from, to)`, ascending. */
function findAll(data: Buffer, needle: Buffer, from: number, to: number): number[] {
  const hits: number[] = [];
  for (let i = data.indexOf(needle, from); i !== -1 && i < to; i = data.indexOf(needle, i + needle.length)) {
    hits.push(i);
  }
  return hits;
}

/**
 * Appends to `out` the non-empty lines of `data[from, to)`, where `from` is a line start and `to` a
 * line end, in the given direction; `dataOffset` is the file offset of `data[0]`. Lines without the
 * needle are counted but not decoded. Returns the number of lines met.
 */
function collectLines(
  data: Buffer,
  dataOffset: number,
  from: number,
  to: number,
  needle: Buffer | undefined,
  newestFirst: boolean,
  out: SegmentLine[],
): number {
  const hits = needle === undefined ? undefined : findAll(data, needle, from, to);
  let hit = newestFirst ? (hits?.length ?? 0) - 1 : 0;
  let count = 0;
  const take = (start: number, end: number) => {
    if (end <= start) return;
    count++;
    if (hits !== undefined) {
      // The needle has no '\n', so a hit starting inside a line lies wholly inside it.
      if (newestFirst) {
        while (hit >= 0 && (hits[hit] ?? -1) >= end) hit--;
        if (hit < 0 || (hits[hit] ?? -1) < start) return;
      } else {
        while (hit < hits.length && (hits[hit] ?? to) < start) hit++;
        if (hit >= hits.length || (hits[hit] ?? to) >= end) return;
      }
    }
    out.push({ offset: dataOffset + start, text: data.toString('utf8', start, end) });
  };
  if (newestFirst) {
    let end = to;
    for (;;) {
      // lastIndexOf with a negative offset counts from the end, so stop explicitly at `from`.
      const newline = end > from ? data.lastIndexOf(NEWLINE, end - 1) : -1;
      const start = newline < from ? from : newline + 1;
      take(start, end);
      if (start === from) break;
      end = start - 1;
    }
  } else {
    let start = from;
    for (;;) {
      const newline = data.indexOf(NEWLINE, start);
      const end = newline === -1 || newline > to ? to : newline;
      take(start, end);
      if (end === to) break;
      start = end + 1;
    }
  }
  return count;
}

/**
 * Reads a segment from its end in chunks and yields its lines newest-first, one batch per chunk
 * (newest first inside each batch too). Splits on the 0x0A byte, which never occurs inside a
 * multibyte UTF-8 sequence, and decodes only complete lines, so characters straddling a chunk
 * boundary decode correctly. A last line without '\n' (a torn write) is yielded for the caller to
 * count. Empty lines are left out; a missing file yields nothing. Memory stays at about one chunk
 * plus one line. Rejects on I/O errors other than ENOENT.
 */
export async function* readLinesNewestFirst(
  file: string,
  options: LineReaderOptions = {},
): AsyncGenerator<LineBatch> {
  const { needle, chunkBytes = DEFAULT_CHUNK_BYTES, maxLineBytes = DEFAULT_MAX_LINE_BYTES } = options;
  const handle = await openSegment(file);
  if (handle === null) return;
  try {
    const { size } = await handle.stat();
    const floor = Math.min(options.start ?? 0, size);
    let position = Math.min(size, options.end ?? size);
    // The tail of a line whose start lies before `position`; data always ends at a line end.
    let carry = EMPTY;
    let discarding = false;
    while (position > floor) {
      const start = Math.max(floor, position - chunkBytes);
      const chunk = Buffer.allocUnsafe(position - start);
      await readExactly(handle, chunk, start);
      position = start;
      const data = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
      const lines: SegmentLine[] = [];
      let lineCount = 0;
      let regionEnd = data.length;
      if (discarding) {
        const newline = data.lastIndexOf(NEWLINE);
        if (newline === -1 && start > floor) continue;
        lines.push({ offset: start + newline + 1, text: null });
        lineCount++;
        discarding = false;
        regionEnd = Math.max(newline, 0);
      }
      const first = start === floor ? -1 : data.indexOf(NEWLINE);
      if (first === -1 && start > floor) {
        carry = data.subarray(0, regionEnd);
      } else {
        lineCount += collectLines(
          data,
          start,
          first + 1,
          Math.max(regionEnd, first + 1),
          needle,
          true,
          lines,
        );
        carry = start === floor ? EMPTY : data.subarray(0, first);
      }
      if (carry.length > maxLineBytes) {
        discarding = true;
        carry = EMPTY;
      }
      if (lineCount > 0) yield { lines, lineCount };
    }
  } finally {
    await handle.close();
  }
}

/**
 * Reads a segment from `start` (a line start, default 0) to its end in chunks and yields its lines
 * oldest-first, one batch per chunk. Same splitting, decoding, torn-line, memory and error rules
 * as {@link readLinesNewestFirst}.
 */
export async function* readLinesOldestFirst(
  file: string,
  options: LineReaderOptions = {},
): AsyncGenerator<LineBatch> {
  const { needle, chunkBytes = DEFAULT_CHUNK_BYTES, maxLineBytes = DEFAULT_MAX_LINE_BYTES } = options;
  const handle = await openSegment(file);
  if (handle === null) return;
  try {
    const { size } = await handle.stat();
    const limit = Math.min(size, options.end ?? size);
    let position = options.start ?? 0;
    // The head of a line whose end lies after `position`, and its file offset.
    let carry = EMPTY;
    let carryOffset = position;
    let discarding = false;
    while (position < limit) {
      const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, limit - position));
      await readExactly(handle, chunk, position);
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const dataOffset = position - carry.length;
      position += chunk.length;
      const lines: SegmentLine[] = [];
      let lineCount = 0;
      let regionStart = 0;
      if (discarding) {
        const newline = data.indexOf(NEWLINE);
        if (newline === -1) continue;
        lines.push({ offset: carryOffset, text: null });
        lineCount++;
        discarding = false;
        regionStart = newline + 1;
      }
      const last = data.lastIndexOf(NEWLINE);
      if (last >= regionStart) {
        lineCount += collectLines(data, dataOffset, regionStart, last, needle, false, lines);
        regionStart = last + 1;
      }
      carry = data.subarray(regionStart);
      carryOffset = dataOffset + regionStart;
      if (carry.length > maxLineBytes) {
        discarding = true;
        carry = EMPTY;
      }
      if (lineCount > 0) yield { lines, lineCount };
    }
    if (discarding) {
      yield { lines: [{ offset: carryOffset, text: null }], lineCount: 1 };
    } else if (carry.length > 0) {
      const lines: SegmentLine[] = [];
      const lineCount = collectLines(carry, carryOffset, 0, carry.length, needle, false, lines);
      yield { lines, lineCount };
    }
  } finally {
    await handle.close();
  }
}
