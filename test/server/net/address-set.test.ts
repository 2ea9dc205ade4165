import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { cidrContains, parseAddress, parseCidr } from '../../../server/net/address.js';
import { AddressSet, parseV4 } from '../../../server/net/address-set.js';

function setOf(...targets: string[]): AddressSet<string> {
  const set = new AddressSet<string>();
  for (const target of targets) set.set(parseCidr(target), target);
  return set;
}

describe('AddressSet.match', () => {
  it('finds the longest IPv4 prefix containing the address', () => {
    const set = setOf('10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3');
    expect(set.match('10.1.2.3')).toBe('10.1.2.3');
    expect(set.match('10.1.2.4')).toBe('10.1.2.0/24');
    expect(set.match('10.1.3.4')).toBe('10.1.0.0/16');
    expect(set.match('10.9.9.9')).toBe('10.0.0.0/8');
    expect(set.match('11.0.0.0')).toBeUndefined();
  });

  it('finds the longest IPv6 prefix, including prefixes that split a hex digit', () => {
    const set = setOf('2001:db8::/32', '2001:db8:8000::/33', '2001:db8:1::/48', '2001:db8:1::1');
    expect(set.match('2001:db8:1::1')).toBe('2001:db8:1::1');
    expect(set.match('2001:db8:1::2')).toBe('2001:db8:1::/48');
    expect(set.match('2001:db8:8001::1')).toBe('2001:db8:8000::/33');
    expect(set.match('2001:db8:ffff::1')).toBe('2001:db8:8000::/33');
    expect(set.match('2001:db8:7fff::1')).toBe('2001:db8::/32');
    expect(set.match('2001:db9::1')).toBeUndefined();
  });

  it('treats /0 as containing every address of its own family only', () => {
    const v4 = setOf('0.0.0.0/0');
    expect(v4.match('203.0.113.1')).toBe('0.0.0.0/0');
    expect(v4.match('0.0.0.0')).toBe('0.0.0.0/0');
    expect(v4.match('255.255.255.255')).toBe('0.0.0.0/0');
    expect(v4.match('::1')).toBeUndefined();
    const v6 = setOf('::/0');
    expect(v6.match('2001:db8::1')).toBe('::/0');
    expect(v6.match('1.2.3.4')).toBeUndefined();
  });

  it('skips entries the accept callback refuses: an expired /32 does not hide a live /24', () => {
    const set = new AddressSet<{ target: string; live: boolean }>();
    set.set(parseCidr('192.0.2.7'), { target: '192.0.2.7', live: false });
    set.set(parseCidr('192.0.2.0/24'), { target: '192.0.2.0/24', live: true });
    expect(set.match('192.0.2.7', (v) => v.live)?.target).toBe('192.0.2.0/24');
    expect(set.match('192.0.2.7')?.target).toBe('192.0.2.7');

    const v6 = new AddressSet<{ target: string; live: boolean }>();
    v6.set(parseCidr('2001:db8::7'), { target: '2001:db8::7', live: false });
    v6.set(parseCidr('2001:db8::/64'), { target: '2001:db8::/64', live: true });
    expect(v6.match('2001:db8::7', (v) => v.live)?.target).toBe('2001:db8::/64');
    expect(v6.match('2001:db8::7', () => false)).toBeUndefined();
  });

  it('replaces the value of a range set twice and counts it once', () => {
    const set = new AddressSet<string>();
    set.set(parseCidr('10.0.0.0/8'), 'first');
    set.set(parseCidr('10.9.9.9/8'), 'second');
    expect(set.size).toBe(1);
    expect(set.match('10.1.1.1')).toBe('second');
  });

  it('keeps the same network at different prefix lengths apart', () => {
    const set = setOf('10.0.0.0/8', '10.0.0.0/16');
    expect(set.size).toBe(2);
    expect(set.match('10.0.1.1')).toBe('10.0.0.0/16');
    expect(set.match('10.1.1.1')).toBe('10.0.0.0/8');
  });

  it('matches an IPv4-mapped address against IPv4 ranges, never against IPv6 ones', () => {
    // 1.2.3.4 is 0102:0304 in hex: an IPv6 range starting with those digits must not catch it.
    const set = setOf('100::/8', '102:304::/32', '1.2.3.0/24');
    expect(set.match('::ffff:1.2.3.4')).toBe('1.2.3.0/24');
    expect(setOf('102:304::/32', '::/0').match('::ffff:1.2.3.4')).toBeUndefined();
  });

  it('matches an IPv4-mapped address written in hex (::ffff:102:304) against IPv4 ranges too', () => {
    expect(setOf('1.2.3.0/24', '::/0').match('::ffff:102:304')).toBe('1.2.3.0/24');
    expect(setOf('1.2.3.0/24', '::/0').match('::FFFF:0102:0304')).toBe('1.2.3.0/24');
  });

  it('matches nothing for garbage or non-canonical IPv4 text', () => {
    const set = setOf('0.0.0.0/0', '::/0');
    for (const bad of [
      '',
      'x',
      '1.2.3',
      '01.2.3.4',
      '1.2.3.4 ',
      ' 1.2.3.4',
      '1.2.3.4/32',
      '256.0.0.1',
      ':',
      'g::1',
    ]) {
      expect(set.match(bad), bad).toBeUndefined();
    }
  });

  it('answers undefined on an empty set', () => {
    const set = new AddressSet<string>();
    expect(set.match('1.2.3.4')).toBeUndefined();
    expect(set.match('::1')).toBeUndefined();
  });
});

describe('AddressSet.delete, size and clear', () => {
  it('delete removes exactly one range and reports whether it was there', () => {
    const set = setOf('10.0.0.0/8', '10.1.2.3', '2001:db8::/32');
    expect(set.size).toBe(3);
    expect(set.delete(parseCidr('10.1.2.3'))).toBe(true);
    expect(set.delete(parseCidr('10.1.2.3'))).toBe(false);
    expect(set.delete(parseCidr('10.0.0.0/9'))).toBe(false);
    expect(set.size).toBe(2);
    expect(set.match('10.1.2.3')).toBe('10.0.0.0/8');
    expect(set.delete(parseCidr('2001:db8::/32'))).toBe(true);
    expect(set.match('2001:db8::1')).toBeUndefined();
    expect(set.size).toBe(1);
  });

  it('clear empties both families and the set stays usable', () => {
    const set = setOf('10.0.0.0/8', '2001:db8::/32');
    set.clear();
    expect(set.size).toBe(0);
    expect(set.match('10.0.0.1')).toBeUndefined();
    expect(set.match('2001:db8::1')).toBeUndefined();
    set.set(parseCidr('10.0.0.0/8'), 'again');
    expect(set.match('10.0.0.1')).toBe('again');
    expect(set.size).toBe(1);
  });
});

describe('AddressSet against a linear scan', () => {
  const v4Cidr = fc
    .tuple(fc.array(fc.nat(255), { minLength: 4, maxLength: 4 }), fc.nat(32))
    .map(([b, p]) => `${b.join('.')}/${p}`);
  const v6Cidr = fc
    .tuple(fc.array(fc.nat(255), { minLength: 16, maxLength: 16 }), fc.nat(128))
    .map(([b, p]) => `${(ipaddr.fromByteArray(b) as ipaddr.IPv6).toRFC5952String()}/${p}`);
  // Addresses drawn near the ranges (few distinct leading bytes) so that matches actually happen.
  const nearV4 = fc.array(fc.constantFrom(0, 1, 10, 128, 255), { minLength: 4, maxLength: 4 });
  const nearV6 = fc.array(fc.constantFrom(0, 1, 0x20, 0xff), { minLength: 16, maxLength: 16 });
  const nearV4Cidr = fc.tuple(nearV4, fc.nat(32)).map(([b, p]) => `${b.join('.')}/${p}`);
  const nearV6Cidr = fc
    .tuple(nearV6, fc.nat(128))
    .map(([b, p]) => `${(ipaddr.fromByteArray(b) as ipaddr.IPv6).toRFC5952String()}/${p}`);
  const cidrs = fc.array(fc.oneof(v4Cidr, v6Cidr, nearV4Cidr, nearV6Cidr), { maxLength: 30 });
  const addresses = fc.array(
    fc.oneof(
      nearV4.map((b) => b.join('.')),
      nearV6.map((b) => parseAddress(ipaddr.fromByteArray(b).toString()).text),
      fc.ipV4(),
    ),
    { minLength: 1, maxLength: 20 },
  );

  it('gives the same longest-prefix answer, with and without an accept filter', () => {
    fc.assert(
      fc.property(cidrs, addresses, fc.integer(), (targets, ips, seed) => {
        const set = new AddressSet<string>();
        const entries = new Map<string, ReturnType<typeof parseCidr>>();
        for (const target of targets) {
          const cidr = parseCidr(target);
          set.set(cidr, cidr.text);
          entries.set(cidr.text, cidr);
        }
        expect(set.size).toBe(entries.size);
        const accept = (text: string) => (text.length + seed) % 3 !== 0;
        for (const ip of ips) {
          const address = parseAddress(ip);
          if (address.text !== ip) continue; // the set takes canonical text only
          const containing = [...entries.values()]
            .filter((c) => cidrContains(c, address))
            .sort((a, b) => b.prefix - a.prefix);
          expect(set.match(ip)).toBe(containing[0]?.text);
          expect(set.match(ip, accept)).toBe(containing.find((c) => accept(c.text))?.text);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseV4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['1.2.3.4', 0x01020304],
    ['10.0.0.1', 0x0a000001],
    ['255.255.255.255', 0xffffffff],
    ['192.168.100.200', 0xc0a864c8],
  ])('reads %s as %i', (text, value) => {
    expect(parseV4(text)).toBe(value);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.',
    '.1.2.3',
    '1..2.3',
    '1.2.3.4.',
    '1.2.3.4.5',
    '256.0.0.0',
    '1.2.3.256',
    '1.2.3.1000',
    '01.2.3.4',
    '1.2.3.00',
    '1.2.3.04',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.-4',
    '1.2.3.a',
    '::1',
    '::ffff:1.2.3.4',
    '1.2.3.4/32',
    '1111.2.3.4',
  ])('refuses %j with -1', (text) => {
    expect(parseV4(text)).toBe(-1);
  });

  it('agrees with parseAddress on every dotted quad and every string', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 4, maxLength: 4 }).map((b) => b.join('.')),
          fc.string({ unit: fc.constantFrom(...'0123456789.'.split('')), maxLength: 17 }),
        ),
        (text) => {
          const address = text.trim() === text && !text.includes(':') ? tryParse(text) : null;
          const expected = address === null ? -1 : address.bytes.reduce((n, b) => n * 256 + b, 0);
          expect(parseV4(text)).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

function tryParse(text: string) {
  try {
    return parseAddress(text);
  } catch {
    return null;
  }
}
