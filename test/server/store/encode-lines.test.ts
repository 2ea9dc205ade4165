import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinLines, type LineBytes, LineEncoder } from '../../../server/store/encode-lines.js';

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const line = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: codeUnit }));

function encodeAll(encoder: LineEncoder, lines: readonly string[]): LineBytes[] {
  return lines.map((text) => {
    const into: LineBytes = { slab: Buffer.alloc(0), start: 0, end: 0 };
    encoder.encode(text, into);
    return into;
  });
}

const bytesOf = (line: LineBytes) => line.slab.subarray(line.start, line.end);

describe('LineEncoder', () => {
  it('gives each line the bytes of Buffer.from(line + "\\n"), lone surrogates included, and later lines leave them alone', () => {
    const encoder = new LineEncoder();
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        const encoded = encodeAll(encoder, lines);
        lines.forEach((text, i) => {
          expect(bytesOf(encoded[i] as LineBytes).equals(Buffer.from(`${text}\n`, 'utf8'))).toBe(true);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('starts a new slab for a line that does not fit, and takes a line longer than a slab', () => {
    const encoder = new LineEncoder();
    const wide = '€'.repeat(20_000); // 60,000 bytes: two do not fit one 64 KiB slab
    const huge = 'x'.repeat(200_000);
    const lines = [wide, wide, huge, 'after'];
    const encoded = encodeAll(encoder, lines);
    expect(encoded.map((bytes) => bytes.end - bytes.start)).toEqual([60_001, 60_001, 200_001, 6]);
    expect(joinLines(encoded).equals(Buffer.from(`${lines.join('\n')}\n`))).toBe(true);
    expect(encoded[0]?.slab).not.toBe(encoded[1]?.slab);
  });
});

describe('joinLines', () => {
  it('gives the lines in the order asked, whatever order they were encoded in and however many slabs they span', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 30_000 }), { maxLength: 30 }),
        fc.func(fc.integer()),
        (lines, rank) => {
          const encoder = new LineEncoder();
          const encoded = encodeAll(encoder, lines);
          // A retry puts older lines before newer ones, and drops some: any subsequence, any order.
          const order = lines.map((_, i) => i).filter((i) => rank(i) % 3 !== 0);
          order.sort((a, b) => (rank(a) % 7) - (rank(b) % 7));
          const joined = joinLines(order.map((i) => encoded[i] as LineBytes));
          expect(joined.toString('utf8')).toBe(order.map((i) => `${lines[i]}\n`).join(''));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is empty for no lines', () => {
    expect(joinLines([]).length).toBe(0);
  });
});
