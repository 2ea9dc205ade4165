import { describe, expect, it } from 'vitest';
import {
  type IpIndex,
  IpIndexCorruptError,
  ipOfLine,
  lookupIpIndex,
  openIpIndex,
  serialiseIpIndex,
} from '../../../server/store/ip-index.js';

/** Opens an index held in memory, as the store does with a file, and looks IPs up in it. */
function inMemory(data: Buffer) {
  const index: IpIndex = openIpIndex(
    'mem',
    data.subarray(0, 128),
    data.subarray(Math.max(0, data.length - 128)),
    data.length,
  );
  const readAt = async (position: number, length: number) => data.subarray(position, position + length);
  return { index, lookup: (ip: string) => lookupIpIndex(index, ip, readAt) };
}

const header = { covered: 1000, fingerprint: 'a'.repeat(40) };
const offsets = new Map([
  ['203.0.113.7', [0, 120, 480]],
  ['2001:db8::1', [240]],
  ['odd"ip\\x', [600, 900]],
]);

describe('IP index file', () => {
  it('reads back the offsets of every IP, and none for an IP it does not hold', async () => {
    const { index, lookup } = inMemory(serialiseIpIndex(header, offsets));
    expect(index.covered).toBe(1000);
    for (const [ip, list] of offsets) expect(await lookup(ip)).toEqual(list);
    expect(await lookup('203.0.113.70')).toEqual([]);
    expect(await lookup('203.0.113')).toEqual([]);
  });

  it('finds every IP of a large index by binary search, long entries included, and no absent one', async () => {
    const big = new Map<string, number[]>();
    for (let i = 0; i < 20_000; i++) {
      const n = (i * 7919) % 20_000;
      const count = n % 997 === 0 ? 5000 : 1 + (n % 3); // a few IPs with entries longer than a read
      big.set(
        `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`,
        Array.from({ length: count }, (_, k) => n + k * 20_000),
      );
    }
    const { lookup } = inMemory(serialiseIpIndex({ covered: 2e9, fingerprint: 'b'.repeat(40) }, big));
    for (const [ip, list] of big) expect(await lookup(ip)).toEqual(list);
    for (const ip of ['10.0.0.', '9.9.9.9', '10.0.78.32', '10.255.255.255', ''])
      expect(await lookup(ip)).toEqual([]);
  });

  it.each([
    ['a torn write (no end line)', (t: string) => t.slice(0, -12)],
    ['a foreign header', (t: string) => t.replace('ipwarden-ip-index 1', 'something else')],
    ['an empty file', () => ''],
  ])('refuses %s as corrupt', (_, damage) => {
    const text = damage(serialiseIpIndex(header, offsets).toString('utf8'));
    expect(() => inMemory(Buffer.from(text))).toThrow(IpIndexCorruptError);
  });

  it('refuses an entry whose offsets lie outside the covered bytes or are out of order', async () => {
    const { lookup } = inMemory(
      serialiseIpIndex(
        header,
        new Map([
          ['1.2.3.4', [5, 1000]],
          ['1.2.3.5', [9, 7]],
        ]),
      ),
    );
    await expect(lookup('1.2.3.4')).rejects.toThrow(IpIndexCorruptError);
    await expect(lookup('1.2.3.5')).rejects.toThrow(IpIndexCorruptError);
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
