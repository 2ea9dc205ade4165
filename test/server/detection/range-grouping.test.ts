import { describe, expect, it } from 'vitest';
import { groupFlaggedIps } from '../../../server/detection/index.js';

const f = (ip: string, ...reasons: string[]) => ({ ip, reasons: reasons.length ? reasons : ['high_volume'] });
const summary = (groups: ReturnType<typeof groupFlaggedIps>) =>
  groups.map((g) => [g.range, g.ips.map((i) => i.ip)]);

describe('groupFlaggedIps', () => {
  it('groups IPv4 by /24 and keeps ranges with at least minIps flagged IPs', () => {
    const groups = groupFlaggedIps(
      [f('203.0.113.9'), f('203.0.113.10'), f('203.0.113.200'), f('203.0.114.1'), f('203.0.114.2')],
      3,
    );
    expect(summary(groups)).toEqual([['203.0.113.0/24', ['203.0.113.9', '203.0.113.10', '203.0.113.200']]]);
    expect(groups[0]).toMatchObject({ family: 4, prefix: 24 });
    expect(groupFlaggedIps([f('203.0.113.9'), f('203.0.113.10')], 3)).toEqual([]);
  });

  it('counts IPv4-mapped IPv6 as IPv4', () => {
    const groups = groupFlaggedIps([f('::ffff:198.51.100.1'), f('198.51.100.2'), f('::ffff:c633:6403')], 3);
    expect(summary(groups)).toEqual([['198.51.100.0/24', ['198.51.100.1', '198.51.100.2', '198.51.100.3']]]);
  });

  it('groups IPv6 by /64; a qualifying /64 wins over its /48', () => {
    const groups = groupFlaggedIps(
      [
        f('2001:db8:1:1::a'),
        f('2001:db8:1:1::b'),
        f('2001:db8:1:1::c'),
        f('2001:db8:1:2::1'),
        f('2001:db8:1:3::1'),
      ],
      3,
    );
    // The /64 takes its three; the two left in the /48 are not enough on their own.
    expect(summary(groups)).toEqual([
      ['2001:db8:1:1::/64', ['2001:db8:1:1::a', '2001:db8:1:1::b', '2001:db8:1:1::c']],
    ]);
  });

  it('falls back to the /48 for IPs rotating through its /64s', () => {
    const groups = groupFlaggedIps(
      [f('2001:db8:5:1::1'), f('2001:db8:5:2::1'), f('2001:db8:5:ff::1'), f('2001:db8:6::1')],
      3,
    );
    expect(summary(groups)).toEqual([
      ['2001:db8:5::/48', ['2001:db8:5:1::1', '2001:db8:5:2::1', '2001:db8:5:ff::1']],
    ]);
    expect(groups[0]).toMatchObject({ family: 6, prefix: 48 });
  });

  it('ignores text that is not an address and orders by size', () => {
    const groups = groupFlaggedIps(
      [f('not-an-ip'), f('10.0.0.1'), f('10.0.0.2'), f('10.1.0.1'), f('10.1.0.2'), f('10.1.0.3')],
      2,
    );
    expect(groups.map((g) => g.range)).toEqual(['10.1.0.0/24', '10.0.0.0/24']);
  });
});
