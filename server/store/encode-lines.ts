const NEWLINE = 0x0a;
/** Bytes of UTF-8 a slab holds; a line that does not fit the rest of a slab starts a new one. */
const SLAB_BYTES = 64 * 1024;

/**
 * Encodes NDJSON lines as UTF-8, each followed by `\n`, one at a time into shared off-heap slabs
 * of 64 KiB. A line's bytes stay valid after later lines are encoded. The request log encodes each
 * record as it is appended: a pending record then holds a slice of a slab, which the garbage
 * collector does not copy, instead of its JSON text on the heap (README "Performance").
 */
export class LineEncoder {
  #slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  #at = 0;

  /** `line` and a `\n` as UTF-8 (lone surrogates become U+FFFD, as `Buffer.from` does). */
  encode(line: string): Buffer {
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
    return this.#slab.subarray(start, end + 1);
  }
}
