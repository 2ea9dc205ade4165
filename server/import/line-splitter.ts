import { StringDecoder } from 'node:string_decoder';

/**
 * Splits UTF-8 bytes arriving in chunks into lines at `\n`, dropping a `\r` before it; a last line
 * without `\n` counts. Invalid UTF-8 becomes U+FFFD, and a character split between two chunks is
 * decoded whole.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  #carry = '';

  /** The complete lines `chunk` finishes, without their line ends. */
  push(chunk: Uint8Array): string[] {
    const lines = (this.#carry + this.#decoder.write(chunk as Buffer)).split('\n');
    this.#carry = lines.pop() as string;
    return stripCarriageReturns(lines);
  }

  /** The last line, when the input did not end with `\n`; no lines otherwise. */
  end(): string[] {
    const last = this.#carry + this.#decoder.end();
    this.#carry = '';
    return last === '' ? [] : stripCarriageReturns([last]);
  }
}

function stripCarriageReturns(lines: string[]): string[] {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
  }
  return lines;
}
