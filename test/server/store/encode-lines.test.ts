import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeLines } from '../../../server/store/encode-lines.js';

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const line = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: codeUnit }));

describe('encodeLines', () => {
  it('gives the bytes of Buffer.from(lines.join("\\n") + "\\n") for any text, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        const expected = lines.length === 0 ? Buffer.alloc(0) : Buffer.from(`${lines.join('\n')}\n`, 'utf8');
        expect(encodeLines(lines).equals(expected)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
