const NEWLINE = 0x0a;
/** Bytes of UTF-8 a slab holds; a line that does not fit the rest of a slab starts a new one. */
const SLAB_BYTES = 64 * 1024;

/** Where an encoded line's bytes are: `slab[start, end)`, its `\n` included. */
export interface LineBytes {
  slab: Buffer;
  start: number;
  end: number;
}

/**
 * Encodes NDJSON lines as UTF-8, each followed by `\n`, one at a time into shared off-heap slabs
 * of 64 KiB. A line's bytes stay valid after later lines are encoded, and consecutive lines of a
 * slab are contiguous. The request log encodes each record as it is appended: a pending record then
 * holds only where its line is, not its JSON text nor a Buffer view of it, so the garbage collector
 * has less to copy while it waits for the flush (README "Performance").
 */
export class LineEncoder {
  #slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  #at = 0;

  /**
   * Writes `line` and a `\n` as UTF-8 (lone surrogates become U+FFFD, as `Buffer.from` does) and
   * sets `into` to where they are.
   */
  encode(line: string, into: LineBytes): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair: 4 bytes for 2 units);
    // only near the end of a slab, or for non-ASCII text, is the exact length worth measuring.
    const room = this.#slab.length - this.#at;
    if (room < line.length * 3 + 1) {
      const needed = Buffer.byteLength(line, 'utf8') + 1;
      if (room < needed) {
        this.#slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, needed));
        this.#at = 0;
      }
    }
    const start = this.#at;
    const end = start + this.#slab.write(line, start, 'utf8');
    this.#slab[end] = NEWLINE;
    this.#at = end + 1;
    into.slab = this.#slab;
    into.start = start;
    into.end = end + 1;
  }
}

/**
 * The bytes of `lines` one after the other, in one new buffer; runs of lines that lie next to each
 * other in a slab are copied in one go.
 */
export function joinLines(lines: readonly LineBytes[]): Buffer {
  let length = 0;
  for (const line of lines) length += line.end - line.start;
  const body = Buffer.allocUnsafe(length);
  let at = 0;
  let run: LineBytes | undefined;
  let runEnd = 0;
  for (const line of lines) {
    if (run !== undefined && line.slab === run.slab && line.start === runEnd) {
      runEnd = line.end;
      continue;
    }
    if (run !== undefined) at += run.slab.copy(body, at, run.start, runEnd);
    run = line;
    runEnd = line.end;
  }
  if (run !== undefined) run.slab.copy(body, at, run.start, runEnd);
  return body;
}
