import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { bytesToPacked, packedPrefix, parseV6Packed } from '../../../server/net/ipv6-packed.js';

const packedOf = (text: string) => bytesToPacked(ipaddr.IPv6.parse(text).toByteArray());

describe('parseV6Packed', () => {
  it('agrees with ipaddr.js on every plain IPv6 form (full, compressed, upper case)', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.boolean(), (text, upper) => {
        fc.pre(!text.includes('.'));
        const input = upper ? text.toUpperCase() : text;
        expect(parseV6Packed(input)).toBe(packedOf(text));
      }),
      { numRuns: 2000 },
    );
  });

  it.each(['::', '::1', '1::', '2001:db8::', '1:2:3:4:5:6:7:8', '1::8', '0:0:0:0:0:ffff:a00:1'])(
    'parses %s',
    (text) => expect(parseV6Packed(text)).toBe(packedOf(text)),
  );

  it.each([
    '',
    ':',
    ':1',
    '1:',
    '1:2',
    '1::2::3',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    '12345::',
    'g::1',
    '::ffff:1.2.3.4',
    'fe80::1%eth0',
    '[::1]',
    '1.2.3.4',
  ])('leaves %j to the general parser (null)', (text) => {
    expect(parseV6Packed(text)).toBeNull();
  });
});

describe('packedPrefix', () => {
  it('gives equal keys exactly to addresses in the same network', () => {
    const net = parseV6Packed('2001:db8:abcd:1200::') as string;
    const inside = parseV6Packed('2001:db8:abcd:12ff:1::9') as string;
    const outside = parseV6Packed('2001:db8:abcd:1300::') as string;
    expect(packedPrefix(inside, 56)).toBe(packedPrefix(net, 56));
    expect(packedPrefix(outside, 56)).not.toBe(packedPrefix(net, 56));
    expect(packedPrefix(inside, 48)).toBe(packedPrefix(outside, 48));
    expect(packedPrefix(inside, 128)).toBe(inside);
    expect(packedPrefix(inside, 0)).toBe('');
  });
});
