import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apacheTimeToIso, parseApacheTime } from '../../../../server/import/parsers/apache-time.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec', 'Foo'];
const two = (n: number) => String(n).padStart(2, '0');

describe('apacheTimeToIso', () => {
  it('agrees with parseApacheTime on every day, month, leap year, offset and impossible time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 1000, max: 9999 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.constantFrom('+0000', '-0000', '+0130', '-0800', '+1400'),
        (day, month, year, hour, second, offset) => {
          const text = `${two(day)}/${MONTHS[month]}/${year}:${two(hour)}:${two(second)}:${two(second)} ${offset}`;
          const ms = parseApacheTime(text);
          expect(apacheTimeToIso(text)).toBe(ms === null ? null : new Date(ms).toISOString());
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('knows leap days and refuses malformed text', () => {
    expect(apacheTimeToIso('29/Feb/2024:00:00:00 +0000')).toBe('2024-02-29T00:00:00.000Z');
    expect(apacheTimeToIso('29/Feb/2023:00:00:00 +0000')).toBeNull();
    expect(apacheTimeToIso('29/Feb/1900:00:00:00 +0000')).toBeNull();
    expect(apacheTimeToIso('29/Feb/2000:00:00:00 +0000')).toBe('2000-02-29T00:00:00.000Z');
    expect(apacheTimeToIso('17/May/2015:10:05:03 +00000')).toBeNull();
    expect(apacheTimeToIso('17/May/2015 10:05:03 +0000')).toBeNull();
    expect(apacheTimeToIso('1x/May/2015:10:05:03 +0000')).toBeNull();
  });
});
