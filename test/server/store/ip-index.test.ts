import { describe, expect, it } from 'vitest';
import {
  IpIndexCorruptError,
  ipOfLine,
  lookupIpIndex,
  parseIpIndex,
  serialiseIpIndex,
} from '../../../server/store/ip-index.js';

const header = { covered: 1000, fingerprint: 'a'.repeat(40) };
const offsets = new Map([
  ['203.0.113.7', [0, 120, 480]],
  ['2001:db8::1', [240]],
  ['odd"ip\\x', [600, 900]],
]);

describe('IP index file', () => {
  it('reads back the offsets of every IP, and none for an IP it does not hold', () => {
    const index = parseIpIndex(serialiseIpIndex(header, offsets));
    expect(index.covered).toBe(1000);
    for (const [ip, list] of offsets) expect(lookupIpIndex(index, ip)).toEqual(list);
    expect(lookupIpIndex(index, '203.0.113.70')).toEqual([]);
    expect(lookupIpIndex(index, '203.0.113')).toEqual([]);
  });

  it.each([
    ['a torn write (no end line)', (t: string) => t.slice(0, -12)],
    ['a wrong IP count', (t: string) => t.replace(/end 3\n$/, 'end 4\n')],
    ['a foreign header', (t: string) => t.replace('ipwarden-ip-index 1', 'something else')],
    ['an empty file', () => ''],
  ])('refuses %s as corrupt', (_, damage) => {
    const text = damage(serialiseIpIndex(header, offsets).toString('utf8'));
    expect(() => parseIpIndex(Buffer.from(text))).toThrow(IpIndexCorruptError);
  });

  it('refuses an entry whose offsets lie outside the covered bytes', () => {
    const index = parseIpIndex(serialiseIpIndex(header, new Map([['1.2.3.4', [5, 1000]]])));
    expect(() => lookupIpIndex(index, '1.2.3.4')).toThrow(IpIndexCorruptError);
  });
});

describe('ipOfLine', () => {
  const line = (record: unknown) => JSON.stringify(record);

  it('takes source.ip from a writer line, even when a string value mimics the key', () => {
    expect(
      line({ '@timestamp': 't', source: { ip: '1.2.3.4' }, url: { path: '"source":{"ip":"9.9.9.9"' } }),
    ).toContain('\\"source\\"');
    expect(
      ipOfLine(line({ '@timestamp': 't', source: { ip: '1.2.3.4' }, url: { path: '"source":{"ip":"9"' } })),
    ).toBe('1.2.3.4');
  });

  it('parses in full when the fast path is ambiguous or absent', () => {
    const nestedFirst = line({ rule: { source: { ip: '9.9.9.9' } }, source: { ip: '1.2.3.4' } });
    expect(ipOfLine(nestedFirst)).toBe('1.2.3.4');
    const nestedOnly = line({
      '@timestamp': 't',
      rule: { source: { ip: '9' } },
      source: { geo: {}, ip: '1.2.3.4' },
    });
    expect(ipOfLine(nestedOnly)).toBe('1.2.3.4');
    expect(ipOfLine(line({ '@timestamp': 't', source: { ip: 'a"b' } }))).toBe('a"b');
    expect(ipOfLine(line({ source: { geo: { country_iso_code: 'DE' }, ip: '5.6.7.8' } }))).toBe('5.6.7.8');
  });

  it('gives null for torn or foreign lines', () => {
    expect(ipOfLine('{"@timestamp":"t","sou')).toBeNull();
    expect(ipOfLine('{"hello":"world"}')).toBeNull();
  });
});
