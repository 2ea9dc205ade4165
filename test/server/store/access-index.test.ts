import { describe, expect, it } from 'vitest';
import { AddressSet, parseCidr } from '../../../server/net/index.js';
import { AccessIndex } from '../../../server/store/access-index.js';
import type { BlockEntry, State } from '../../../server/store/state-schema.js';

const block = (target: string): BlockEntry => ({
  target,
  reason: target,
  createdAt: '2024-03-01T00:00:00.000Z',
  createdBy: 'test',
  expiresAt: null,
});

const state = (targets: string[]): State =>
  ({ blocks: targets.map(block), allowlist: [] }) as unknown as State;

/** Random IPv4 text near the targets below, so that most of them hit something. */
function probes(n: number): string[] {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  return Array.from({ length: n }, () => `10.${next() % 3}.${next() % 4}.${next() % 256}`);
}

describe('AccessIndex.rebuild', () => {
  it('indexes plain IPv4 text without ipaddr.js exactly as parseCidr would, and reports the rest the same', () => {
    const targets = [
      '10.0.0.1',
      '10.0.0.0/30',
      '10.0.1.77/24', // host bits set: masked, as parseCidr does
      '10.1.0.0/16',
      '10.2.3.4/32',
      '0.0.0.0/0',
      '10.2.0.0/15',
      ' 10.2.3.9', // not the strict form: parsed in full (trimmed)
      '010.0.0.9', // leading zero: refused by both
      '10.0.0.9/33',
      '10.0.0.9/',
      '10.0.0.9/024',
      '::ffff:10.2.2.0/120', // IPv4-mapped: an IPv4 /24
      '2001:db8::/32',
      'not an address',
    ];
    const index = new AccessIndex(() => 0);
    index.rebuild(state(targets));
    const reference = new AddressSet<BlockEntry>();
    const problems: string[] = [];
    for (const target of targets) {
      try {
        reference.set(parseCidr(target), block(target));
      } catch (err) {
        problems.push(`blocklist entry ${JSON.stringify(target)} ignored: ${(err as Error).message}`);
      }
    }
    expect(index.problems).toEqual(problems);
    expect(problems).toHaveLength(4);
    for (const ip of [
      ...probes(2000),
      '10.0.1.5',
      '10.2.3.4',
      '10.2.3.9',
      '10.2.2.200',
      '192.0.2.1',
      '2001:db8::1',
    ])
      expect(index.liveBlock(ip)?.target, ip).toBe(reference.match(ip)?.target);
  });
});
