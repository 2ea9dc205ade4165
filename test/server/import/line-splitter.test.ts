import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_LENGTH } from '../../../server/import/line-splitter.js';

/** Splits `bytes` at every offset in `cuts` and feeds the pieces through one splitter. */
function splitAt(bytes: Uint8Array, cuts: number[]): string[] {
  const splitter = new LineSplitter();
  const lines: string[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    lines.push(...splitter.push(bytes.subarray(from, cut)));
    from = cut;
  }
  return [...lines, ...splitter.end()];
}

describe('LineSplitter', () => {
  it('gives the same lines wherever the chunks are cut, a multi-byte character included', () => {
    const text = 'GET /caf\u00e9 \u2603\r\nsecond line\n\nlast without newline';
    const bytes = new TextEncoder().encode(text);
    const expected = ['GET /caf\u00e9 \u2603', 'second line', '', 'last without newline'];
    expect(splitAt(bytes, [])).toEqual(expected);
    for (let cut = 1; cut < bytes.length; cut++) expect(splitAt(bytes, [cut])).toEqual(expected);
    expect(splitAt(bytes, [5, 6, 7, 8, 9, 10, 11, 12])).toEqual(expected);
  });

  it('ends with no extra line after a final newline, and turns invalid UTF-8 into U+FFFD', () => {
    expect(splitAt(new TextEncoder().encode('a\nb\n'), [])).toEqual(['a', 'b']);
    expect(splitAt(Uint8Array.of(0x61, 0xff, 0x62, 0x0a), [])).toEqual(['a\ufffdb']);
  });

  it('hands on a line too long cut to one character over the limit, and the lines around it whole', () => {
    const splitter = new LineSplitter();
    const lines: string[] = [];
    lines.push(...splitter.push(new TextEncoder().encode('before\n')));
    // 4 MiB without a newline, in 64 KiB chunks, then the line's end and one more line.
    const chunk = new Uint8Array(65_536).fill(0x61);
    for (let i = 0; i < 64; i++) lines.push(...splitter.push(chunk));
    lines.push(...splitter.push(new TextEncoder().encode('zz\r\nafter\n')));
    lines.push(...splitter.end());
    expect(lines.map((l) => l.length)).toEqual([6, MAX_LINE_LENGTH + 1, 5]);
    expect(lines[0]).toBe('before');
    expect(lines[2]).toBe('after');
    expect(splitAt(new TextEncoder().encode('a'.repeat(MAX_LINE_LENGTH)), [1000])).toEqual([
      'a'.repeat(MAX_LINE_LENGTH),
    ]);
  });
});
