import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import {
  AddressError,
  cidrContains,
  enclosingCidr,
  parseAddress,
  parseCidr,
  rateLimitSubject,
  tryParseAddress,
} from '../../../server/net/address.js';

describe('parseAddress', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4', 4],
    ['0.0.0.0', '0.0.0.0', 4],
    ['255.255.255.255', '255.255.255.255', 4],
    ['::1', '::1', 6],
    ['::', '::', 6],
    ['2001:DB8::1', '2001:db8::1', 6],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 6],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 6],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 6],
    ['::ffff:1.2.3.4', '1.2.3.4', 4],
    ['::FFFF:1.2.3.4', '1.2.3.4', 4],
    ['::ffff:102:304', '1.2.3.4', 4],
  ])('reads %s as %s (IPv%i)', (input, text, family) => {
    const address = parseAddress(input);
    expect(address.text).toBe(text);
    expect(address.family).toBe(family);
    expect(address.bytes).toHaveLength(family === 4 ? 4 : 16);
  });

  it('gives network-order bytes', () => {
    expect(parseAddress('192.0.2.1').bytes).toEqual([192, 0, 2, 1]);
    expect(parseAddress('2001:db8::ff').bytes).toEqual([0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 0xff]);
  });

  it.each([
    '',
    ' ',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.4.',
    '256.1.1.1',
    '1.2.3.256',
    '01.2.3.4',
    '1.2.3.04',
    '010.0.0.1',
    '0x7f.0.0.1',
    '127.1',
    '2130706433',
    '1.2.3.4/32',
    '-1.2.3.4',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    ':::',
    'fe80::1%eth0',
    'fe80::1%1',
    '[::1]',
    '::ffff:127.1',
    '::ffff:0x7f.0.0.1',
    '::ffff:01.2.3.4',
    '::ffff:010.0.0.1',
    '::ffff:1.2.3.256',
    'localhost',
    'g::1',
    '1.2.3.4:80',
  ])('rejects %j with an AddressError naming the input', (input) => {
    expect(() => parseAddress(input)).toThrow(AddressError);
    expect(() => parseAddress(input)).toThrow(JSON.stringify(input));
    expect(tryParseAddress(input)).toBeNull();
  });

  it('rejects huge strings quickly with a truncated message', () => {
    for (const huge of [
      '1'.repeat(1_000_000),
      '1:'.repeat(100_000),
      `${'1.'.repeat(100_000)}1`,
      'a'.repeat(100_000),
    ]) {
      let error: unknown;
      try {
        parseAddress(huge);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(AddressError);
      expect((error as Error).message.length).toBeLessThan(200);
      expect((error as Error).message).toContain(huge.slice(0, 20));
    }
  });

  it('tryParseAddress returns the same address as parseAddress for valid input', () => {
    expect(tryParseAddress('2001:db8::1')).toEqual(parseAddress('2001:db8::1'));
    expect(tryParseAddress('::ffff:10.0.0.1')?.text).toBe('10.0.0.1');
  });

  it('round-trips any dotted quad', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), (octets) => {
        const text = octets.join('.');
        const address = parseAddress(text);
        expect(address.text).toBe(text);
        expect(address.family).toBe(4);
        expect(address.bytes).toEqual(octets);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes runs of zero groups as RFC 5952 does (the longest, the first of equals, never one alone)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 0, 0, 1, 0xabcd), { minLength: 8, maxLength: 8 }), (groups) => {
        const v6 = new ipaddr.IPv6(groups);
        if (v6.isIPv4MappedAddress()) return;
        expect(parseAddress(v6.toNormalizedString()).text).toBe(v6.toRFC5952String());
      }),
      { numRuns: 3000 },
    );
    // One address, one identity: the deprecated IPv4-compatible form stays IPv6, however written.
    expect(parseAddress('::10.0.0.33').text).toBe('::a00:21');
    expect(parseAddress('0:0:0:0:0:0:10.0.0.33').text).toBe('::a00:21');
    expect(parseAddress('::ffff:10.0.0.33').text).toBe('10.0.0.33');
    expect(parseAddress('64:ff9b::192.0.2.1').text).toBe('64:ff9b::c000:201');
    // Ranges too: blocking `::1.2.3.4/128` once blocked the IPv4 host 1.2.3.4 instead.
    expect(parseCidr('::1.2.3.4/128').text).toBe('::102:304');
    expect(parseCidr('::1.2.3.0/120').text).toBe('::102:300/120');
    expect(parseCidr('::ffff:1.2.3.0/120').text).toBe('1.2.3.0/24');
    expect(parseCidr('::ffff:0:0/95').text).toBe('::fffe:0:0/95');
    for (const spaced of ['1.2.3.4 /24', '::ffff:1.2.3.4\t/120', '1.2.3.4\uFEFF/24'])
      expect(() => parseCidr(spaced), spaced).toThrow(AddressError);
    for (const junk of [
      'zz:zz:zz:zz:zz:zz:zz:zz',
      '1:2:3:4:5:6:7:8:9',
      ':::',
      '1::2::3',
      '999.1.1.1',
      '01.2.3.4',
      'fe80::1%eth0',
    ])
      expect(tryParseAddress(junk), junk).toBeNull();
  });

  it('round-trips any IPv6 address however ipaddr.js writes it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(255), { minLength: 16, maxLength: 16 }),
        fc.constantFrom(
          (v6: ipaddr.IPv6) => v6.toRFC5952String(),
          (v6: ipaddr.IPv6) => v6.toNormalizedString(),
          (v6: ipaddr.IPv6) => v6.parts.map((part) => part.toString(16).padStart(4, '0')).join(':'),
          (v6: ipaddr.IPv6) => v6.toString().toUpperCase(),
        ),
        (bytes, write) => {
          const v6 = ipaddr.fromByteArray(bytes) as ipaddr.IPv6;
          const address = parseAddress(write(v6));
          if (v6.isIPv4MappedAddress()) {
            expect(address.family).toBe(4);
            expect(address.bytes).toEqual(bytes.slice(12));
            expect(address.text).toBe(bytes.slice(12).join('.'));
          } else {
            expect(address.family).toBe(6);
            expect(address.bytes).toEqual(bytes);
            expect(address.text).toBe(v6.toRFC5952String());
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('canonical text parses back to itself', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const address = tryParseAddress(text);
        if (address === null) return; // fast-check also generates legacy forms that are refused
        expect(parseAddress(address.text)).toEqual(address);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parseCidr', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.0/24', 24, 4],
    ['10.1.2.3/8', '10.0.0.0/8', 8, 4],
    ['10.255.255.255/9', '10.128.0.0/9', 9, 4],
    ['1.2.3.4', '1.2.3.4', 32, 4],
    ['1.2.3.4/32', '1.2.3.4', 32, 4],
    ['1.2.3.4/0', '0.0.0.0/0', 0, 4],
    ['2001:db8::1/64', '2001:db8::/64', 64, 6],
    ['2001:DB8:ffff::/33', '2001:db8:8000::/33', 33, 6],
    ['2001:db8::1', '2001:db8::1', 128, 6],
    ['2001:db8::1/128', '2001:db8::1', 128, 6],
    ['::/0', '::/0', 0, 6],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8', 8, 4],
    ['::ffff:1.2.3.4/128', '1.2.3.4', 32, 4],
    ['::ffff:1.2.3.4', '1.2.3.4', 32, 4],
    [' 198.51.100.7/24 ', '198.51.100.0/24', 24, 4],
  ])('reads %j as %s', (input, text, prefix, family) => {
    const cidr = parseCidr(input);
    expect(cidr.text).toBe(text);
    expect(cidr.prefix).toBe(prefix);
    expect(cidr.network.family).toBe(family);
  });

  it.each([
    ['1.2.3.4/33', '1.2.3.4/33'],
    ['::/129', '::/129'],
    ['::ffff:10.0.0.0/129', '::ffff:10.0.0.0/129'],
    ['1.2.3.4/', '1.2.3.4/'],
    ['1.2.3.4/-1', '1.2.3.4/-1'],
    ['1.2.3.4/8/8', '1.2.3.4/8/8'],
    ['1.2.3.4/1000', '1.2.3.4/1000'],
    ['1.2.3.4/0x8', '1.2.3.4/0x8'],
    ['/8', '/8'],
    ['1.2.3/24', '1.2.3/24'],
    ['01.2.3.0/24', '01.2.3.0/24'],
    ['fe80::%eth0/64', 'fe80::%eth0/64'],
    ['[2001:db8::]/32', '[2001:db8::]/32'],
    ['', ''],
  ])('rejects %j with an AddressError naming it', (input, named) => {
    expect(() => parseCidr(input)).toThrow(AddressError);
    expect(() => parseCidr(input)).toThrow(JSON.stringify(named));
  });

  it('never throws anything but AddressError, whatever the text', () => {
    const ipLike = fc
      .array(
        fc.constantFrom(...'0123456789abcdefABCDEF:./%[] x-'.split(''), '::', 'ffff', '255', '1.2.3.4', '/'),
        {
          maxLength: 24,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), ipLike), (text) => {
        try {
          const cidr = parseCidr(text);
          // Whatever was accepted is canonical: its text reads back as itself.
          expect(parseCidr(cidr.text).text).toBe(cidr.text);
        } catch (err) {
          expect(err).toBeInstanceOf(AddressError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('clears host bits so every address of a range yields the same network', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(255), { minLength: 4, maxLength: 4 }), fc.nat(32), (bytes, prefix) => {
        const cidr = parseCidr(`${bytes.join('.')}/${prefix}`);
        expect(cidrContains(cidr, parseAddress(bytes.join('.')))).toBe(true);
        expect(parseCidr(`${cidr.network.text}/${prefix}`).text).toBe(cidr.text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('cidrContains', () => {
  it('answers by the prefix bits only', () => {
    const range = parseCidr('198.51.100.0/22');
    expect(cidrContains(range, parseAddress('198.51.100.0'))).toBe(true);
    expect(cidrContains(range, parseAddress('198.51.103.255'))).toBe(true);
    expect(cidrContains(range, parseAddress('198.51.104.0'))).toBe(false);
    expect(cidrContains(range, parseAddress('198.51.99.255'))).toBe(false);
  });

  it('works for IPv6 and /0', () => {
    expect(cidrContains(parseCidr('2001:db8::/32'), parseAddress('2001:db8:ffff::1'))).toBe(true);
    expect(cidrContains(parseCidr('2001:db8::/32'), parseAddress('2001:db9::1'))).toBe(false);
    expect(cidrContains(parseCidr('::/0'), parseAddress('2001:db8::1'))).toBe(true);
    expect(cidrContains(parseCidr('0.0.0.0/0'), parseAddress('203.0.113.9'))).toBe(true);
  });

  it('never matches across families, not even for /0', () => {
    expect(cidrContains(parseCidr('::/0'), parseAddress('1.2.3.4'))).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0'), parseAddress('::1'))).toBe(false);
  });

  it('treats an IPv4-mapped range and address as IPv4', () => {
    expect(cidrContains(parseCidr('::ffff:10.0.0.0/104'), parseAddress('10.20.30.40'))).toBe(true);
    expect(cidrContains(parseCidr('10.0.0.0/8'), parseAddress('::ffff:10.20.30.40'))).toBe(true);
  });
});

describe('rateLimitSubject', () => {
  it('keeps an IPv4 address and gives an IPv6 one its network', () => {
    expect(rateLimitSubject('203.0.113.77', 64)).toBe('203.0.113.77');
    expect(rateLimitSubject('2001:db8:1:2:3:4:5:6', 64)).toBe('2001:db8:1:2::/64');
    expect(rateLimitSubject('2001:db8:1:2ff::9', 56)).toBe('2001:db8:1:200::/56');
    expect(rateLimitSubject('2001:db8:1:2:3:4:5:6', 128)).toBe('2001:db8:1:2:3:4:5:6');
  });

  it('counts a NAT64-translated client (64:ff9b::/96) as its IPv4 address, not with every other one', () => {
    expect(rateLimitSubject('64:ff9b::c000:201', 64)).toBe('192.0.2.1');
    expect(rateLimitSubject('64:ff9b::808:808', 64)).toBe('8.8.8.8');
    expect(rateLimitSubject('64:ff9b:1::c000:201', 64)).toBe('64:ff9b:1::/64'); // local-use prefixes vary
  });

  it('counts a 6to4 site and a Teredo client as the IPv4 address they stand for', () => {
    // 6to4 for 192.0.2.1: every /64 of 2002:c000:201::/48 is the same host.
    expect(rateLimitSubject('2002:c000:201:1::1', 64)).toBe('192.0.2.1');
    expect(rateLimitSubject('2002:c000:201:ffff::1', 64)).toBe('192.0.2.1');
    // Teredo (RFC 4380 example): server 65.54.227.120, client 192.0.2.45 stored inverted as 3fff:fdd2.
    expect(rateLimitSubject('2001:0:4136:e378:8000:63bf:3fff:fdd2', 64)).toBe('192.0.2.45');
  });

  it('gives every address of one /64 the same subject and addresses of two /64s different ones', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(255), { minLength: 12, maxLength: 12 }), fc.nat(255), (rest, low) => {
        // An address of 2001:db8::/32: never IPv4-mapped, 6to4, Teredo or NAT64 (counted as IPv4).
        const bytes = [0x20, 0x01, 0x0d, 0xb8, ...rest];
        const v6 = (b: number[]) => (ipaddr.fromByteArray(b) as ipaddr.IPv6).toRFC5952String();
        const a = v6(bytes);
        const sameNet = v6([...bytes.slice(0, 15), low]);
        const otherNet = v6([...bytes.slice(0, 7), (bytes[7] as number) ^ 1, ...bytes.slice(8)]);
        expect(rateLimitSubject(a, 64)).toBe(rateLimitSubject(sameNet, 64));
        expect(rateLimitSubject(a, 64)).not.toBe(rateLimitSubject(otherNet, 64));
      }),
    );
  });
});

describe('enclosingCidr', () => {
  it('gives the /24 of an IPv4 address and the /64 of an IPv6 one', () => {
    expect(enclosingCidr(parseAddress('203.0.113.77'), 24).text).toBe('203.0.113.0/24');
    expect(enclosingCidr(parseAddress('2001:db8:1:2:3:4:5:6'), 64).text).toBe('2001:db8:1:2::/64');
  });

  it('prints a full-length prefix as the bare address', () => {
    expect(enclosingCidr(parseAddress('203.0.113.77'), 32).text).toBe('203.0.113.77');
    expect(enclosingCidr(parseAddress('::1'), 128).text).toBe('::1');
  });

  it('contains the address it was built from', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(255), { minLength: 16, maxLength: 16 }), fc.nat(128), (bytes, prefix) => {
        const address = parseAddress(ipaddr.fromByteArray(bytes).toString());
        const bits = address.family === 4 ? Math.min(prefix, 32) : prefix;
        expect(cidrContains(enclosingCidr(address, bits), address)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
