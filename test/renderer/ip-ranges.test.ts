import { describe, expect, it } from 'vitest';
import { blockRangeOf, covers, isIpv6, networkOf } from '../../renderer/src/ip-ranges.js';

describe('address ranges', () => {
  it('blocks the /24 of an IPv4 address and the /64 of an IPv6 address', () => {
    expect(blockRangeOf('203.0.113.66')).toBe('203.0.113.0/24');
    expect(blockRangeOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(blockRangeOf('2001:db8::1')).toBe('2001:db8::/64');
    expect(blockRangeOf('::ffff:198.51.100.7')).toBe('198.51.100.0/24');
    expect(blockRangeOf('not an ip')).toBeNull();
    expect(blockRangeOf('10.0.0.300')).toBeNull();
  });

  it('computes networks with RFC 5952 text', () => {
    expect(networkOf('2001:0db8:0000:0000:0001:0000:0000:0001', 64)).toBe('2001:db8::/64');
    expect(networkOf('fe80::1:2:3:4', 48)).toBe('fe80::/48');
    expect(networkOf('1.2.3.4', 0)).toBe('0.0.0.0/0');
    expect(networkOf('1.2.3.4', 32)).toBe('1.2.3.4/32');
  });

  it('tells whether a block target covers an address', () => {
    expect(covers('198.51.100.0/24', '198.51.100.200')).toBe(true);
    expect(covers('198.51.100.0/24', '198.51.101.1')).toBe(false);
    expect(covers('203.0.113.7', '203.0.113.7')).toBe(true);
    expect(covers('203.0.113.7', '203.0.113.8')).toBe(false);
    expect(covers('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(covers('2001:db8::/32', '198.51.100.1')).toBe(false);
    expect(covers('garbage/24', '1.2.3.4')).toBe(false);
  });

  it('recognises IPv6', () => {
    expect(isIpv6('2001:db8::1')).toBe(true);
    expect(isIpv6('::ffff:1.2.3.4')).toBe(false);
    expect(isIpv6('1.2.3.4')).toBe(false);
  });
});
