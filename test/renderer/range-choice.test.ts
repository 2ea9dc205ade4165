import { describe, expect, it } from 'vitest';
import { choiceFromQuery, choiceQuery } from '../../renderer/src/time-range.js';

describe('the dashboard range in the address', () => {
  it('reads a preset or a custom range, and writes it back the same', () => {
    for (const query of [
      { range: '1h' },
      { range: '24h' },
      { range: '7d' },
      { from: '2015-05-17', to: '2015-05-20' },
    ]) {
      const choice = choiceFromQuery(query);
      expect(choice).not.toBeNull();
      expect(choiceQuery(choice as NonNullable<typeof choice>)).toEqual(query);
    }
  });

  it('names no range for a missing, unknown or malformed one', () => {
    for (const query of [
      {},
      { range: '30d' },
      { from: '2015-05-17' },
      { from: '2015-05-20', to: '2015-05-17' },
      { from: '17/05/2015', to: '2015-05-20' },
      { from: '2015-02-30x', to: '2015-03-01' },
    ])
      expect(choiceFromQuery(query)).toBeNull();
  });
});
