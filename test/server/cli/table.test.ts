import { describe, expect, it } from 'vitest';
import { table } from '../../../server/cli/access-commands.js';

describe('the CLI text table', () => {
  it('aligns columns and strips control characters a client may have sent', () => {
    expect(
      table(
        ['A', 'B'],
        [
          ['x\u001b[31m', 'y'],
          ['long cell', 'z'],
        ],
      ),
    ).toBe('A          B\nx?[31m     y\nlong cell  z\n');
  });

  it('prints 200,000 rows (a blocklist that size) without overflowing the call stack', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [
      `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
      'x',
    ]);
    const text = table(['TARGET', 'REASON'], rows);
    expect(text.split('\n')).toHaveLength(200_002);
    expect(text.split('\n')[1]).toBe('10.0.0.0      x');
  });
});
