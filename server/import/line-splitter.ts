import { StringDecoder } from 'node:string_decoder';

/**
 * Longest line an import reads, in characters. An access-log line is a few hundred characters
 * (a record keeps 4,096 per field); a longer one is no log line, and keeping it whole would let one
 * newline-less file fill the memory.
 */
export const MAX_LINE_LENGTH = 65_536;

/**
 * Splits UTF-8 bytes arriving in chunks into lines at `\n`, dropping a `\r` before it; a last line
 * without `\n` counts. Invalid UTF-8 becomes U+FFFD, and a character split between two chunks is
 * decoded whole. A line over {@link MAX_LINE_LENGTH} characters is handed on cut to one character
 * more than that, so the reader can tell it was too long; the rest of it is never kept, and the
 * work per chunk stays linear whatever the line's length.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  #carry = '';

  /** The complete lines `chunk` finishes, without their line ends. */
  push(chunk: Uint8Array): string[] {
    const text = this.#decoder.write(chunk as Buffer);
    const lines: string[] = [];
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      lines.push(this.#take(text.slice(start, end)));
      start = end + 1;
    }
    this.#carry = bounded(this.#carry + text.slice(start));
    return lines;
  }

  /** The last line, when the input did not end with `\n`; no lines otherwise. */
  end(): string[] {
    const last = this.#take(this.#decoder.end());
    return last === '' ? [] : [last];
  }

  /** The line the carry and `rest` make, without a final `\r`; the carry is emptied. */
  #take(rest: string): string {
    const line = bounded(this.#carry + rest);
    this.#carry = '';
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }
}

function bounded(text: string): string {
  return text.length > MAX_LINE_LENGTH + 1 ? text.slice(0, MAX_LINE_LENGTH + 1) : text;
}
