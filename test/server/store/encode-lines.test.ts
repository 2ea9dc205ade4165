import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineEncoder } from '../../../server/store/encode-lines.js';

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const line = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: codeUnit }));

describe('LineEncoder', () => {
  it('gives each line the bytes of Buffer.from(line + "\\n"), lone surrogates included, and later lines leave them alone', () => {
    const encoder = new LineEncoder();
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        const encoded = lines.map((text) => encoder.encode(text));
        lines.forEach((text, i) => {
          expect(encoded[i]?.equals(Buffer.from(`${text}\n`, 'utf8'))).toBe(true);
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
    const encoded = lines.map((text) => encoder.encode(text));
    expect(encoded.map((bytes) => bytes.length)).toEqual([60_001, 60_001, 200_001, 6]);
    expect(Buffer.concat(encoded).equals(Buffer.from(`${lines.join('\n')}\n`))).toBe(true);
    expect(encoded[0]?.buffer).not.toBe(encoded[1]?.buffer);
  });
});
