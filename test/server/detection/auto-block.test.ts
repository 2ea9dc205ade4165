import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AutoBlocker } from '../../../server/detection/auto-block.js';
import { FlagStore } from '../../../server/detection/flag-store.js';
import { createLogger } from '../../../server/log.js';
import {
  AccessLists,
  OperatorAddresses,
  openStateStore,
  type StateStore,
} from '../../../server/store/index.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const NOW = Date.parse('2026-03-02T10:00:00Z');
const REASONS = ['admin_access', 'failed_logins', 'sensitive_paths'] as const;

let cleanup: () => Promise<void>;
let lists: AccessLists;
let flags: FlagStore;
let blocker: AutoBlocker;
let operator: OperatorAddresses;
let state: StateStore;
let nowMs = NOW;

beforeEach(async () => {
  let dir: string;
  ({ dir, cleanup } = await makeTempDir());
  state = await openStateStore({ dataDir: dir, now: () => new Date(NOW) });
  operator = new OperatorAddresses(['192.0.2.10']);
  nowMs = NOW;
  lists = new AccessLists(state, () => nowMs, operator);
  flags = new FlagStore(state, lists);
  blocker = blockerWith();
});

/** An auto-blocker on this test's flags and lists: 3 reasons, 1 h blocks, IPv6 by `ipv6Prefix` (64). */
function blockerWith(ipv6Prefix?: number): AutoBlocker {
  return new AutoBlocker({
    flags,
    lists,
    audit: () => state.data.audit,
    now: () => nowMs,
    logger: createLogger('silent'),
    reasons: 3,
    durationMs: 3_600_000,
    flagTtlMs: 7 * 86_400_000,
    ipv6Prefix,
  });
}
afterEach(() => cleanup());

async function flagThreeTimes(ip: string): Promise<void> {
  for (const reason of REASONS)
    await flags.raise({ ip, reason, count: 50, details: {}, seenAt: NOW }, 'test');
}

describe('auto-block never locks the operator out', () => {
  it('blocks a stranger with three reasons but not loopback, the admin address or an admin session', async () => {
    operator.note('198.51.100.77'); // the remote address of an authenticated admin request
    for (const ip of ['203.0.113.5', '127.0.0.1', '::1', '192.0.2.10', '198.51.100.77'])
      await flagThreeTimes(ip);
    const decisions = await blocker.run();
    expect(decisions.map((d) => d.ip)).toEqual(['203.0.113.5']);
    expect(lists.decide('203.0.113.5').kind).toBe('blocked');
    for (const ip of ['127.0.0.1', '::1', '192.0.2.10', '198.51.100.77'])
      expect(lists.decide(ip).kind, ip).toBe('none');
  });

  it('skips an allowlisted address and, after a live flag, the operator too', async () => {
    await lists.allow({ target: '203.0.113.0/24', actor: 'test' });
    await flagThreeTimes('203.0.113.5');
    await flagThreeTimes('127.0.0.2');
    expect(await blocker.consider('203.0.113.5')).toBe(false);
    expect(await blocker.consider('127.0.0.2')).toBe(false);
    expect(lists.listBlocks()).toEqual([]);
  });
});

describe('auto-block of an IPv6 client', () => {
  it('blocks its /64, so the next address of the same subscriber is blocked too', async () => {
    await flagThreeTimes('2001:db8:1:2::a');
    const [decision] = await blocker.run();
    expect(decision).toMatchObject({ ip: '2001:db8:1:2::a', target: '2001:db8:1:2::/64' });
    expect(lists.listBlocks()[0]).toMatchObject({
      target: '2001:db8:1:2::/64',
      reason: 'auto-block: admin_access, failed_logins, sensitive_paths (flagged: 2001:db8:1:2::a)',
    });
    expect(lists.decide('2001:db8:1:2:ffff::1').kind).toBe('blocked');
    expect(lists.decide('2001:db8:1:3::a').kind).toBe('none');
    // Another address of that /64 with its own flags: already blocked, no second entry.
    await flagThreeTimes('2001:db8:1:2::b');
    expect(await blocker.consider('2001:db8:1:2::b')).toBe(false);
    expect(lists.listBlocks()).toHaveLength(1);
  });

  it('blocks one block for two addresses of one /64 that qualify at once', async () => {
    await flagThreeTimes('2001:db8:9:9::1');
    await flagThreeTimes('2001:db8:9:9::2');
    const both = await Promise.all([
      blocker.consider('2001:db8:9:9::1'),
      blocker.consider('2001:db8:9:9::2'),
    ]);
    expect(both.filter(Boolean)).toHaveLength(1);
    expect(state.data.audit.filter((e) => e.action === 'block')).toHaveLength(1);
  });

  it('blocks the address alone with --rate-limit-ipv6-prefix 128, in the operator network, or for NAT64', async () => {
    await flagThreeTimes('2001:db8:5:5::a');
    expect((await blockerWith(128).run()).map((d) => d.target)).toEqual(['2001:db8:5:5::a']);
    operator.note('2001:db8:6:6::1'); // an admin session from this network
    await flagThreeTimes('2001:db8:6:6::bad');
    expect(await blockerWith(64).consider('2001:db8:6:6::bad')).toBe(true);
    expect(lists.decide('2001:db8:6:6::1').kind).toBe('none');
    await flagThreeTimes('64:ff9b::cb00:7105'); // NAT64 for 203.0.113.5
    await blockerWith(64).consider('64:ff9b::cb00:7105');
    expect(
      lists
        .listBlocks()
        .map((b) => b.target)
        .sort(),
    ).toEqual(['2001:db8:5:5::a', '2001:db8:6:6::bad', '64:ff9b::cb00:7105']);
  });
});

describe('auto-block counts only flags seen within their lifetime', () => {
  it('does not block today for flags a monitor run over old logs raised', async () => {
    const old = NOW - 30 * 86_400_000; // a window of an imported log, a month back
    for (const reason of REASONS)
      await flags.raise({ ip: '100.64.7.7', reason, count: 50, details: {}, seenAt: old }, 'job:monitor');
    expect(flags.activeReasons('100.64.7.7').size).toBe(3); // active until the next cleanup
    expect(await blocker.consider('100.64.7.7')).toBe(false);
    expect(await blocker.run()).toEqual([]);
    // Two stale reasons and one fresh: still not three.
    await flags.raise(
      { ip: '100.64.7.7', reason: 'admin_access', count: 80, details: {}, seenAt: NOW },
      'test',
    );
    expect(await blocker.run()).toEqual([]);
    // All three seen again within 7 days: blocked.
    await flagThreeTimes('100.64.7.7');
    expect((await blocker.run()).map((d) => d.ip)).toEqual(['100.64.7.7']);
  });
});

describe("auto-block respects an operator's unblock", () => {
  it('leaves an IP unblocked (or in a range unblocked) alone for as long as an auto-block lasts', async () => {
    await flagThreeTimes('203.0.113.60');
    expect(await blocker.consider('203.0.113.60')).toBe(true);
    await lists.unblock('203.0.113.60', 'user:op');
    expect(await blocker.run()).toEqual([]);
    expect(await blocker.consider('203.0.113.60')).toBe(false);
    // A range unblock covers the flagged IPs inside it.
    await lists.block({ target: '198.51.100.0/24', actor: 'user:op' });
    await flagThreeTimes('198.51.100.7');
    await lists.unblock('198.51.100.0/24', 'cli');
    expect(await blocker.run()).toEqual([]);
    // The flags stay active; once an auto-block would have lapsed (1 h here), they count again.
    nowMs += 3_600_000 + 1;
    expect((await blocker.run()).map((d) => d.ip).sort()).toEqual(['198.51.100.7', '203.0.113.60']);
  });
});

describe('auto-block reads the audit trail once', () => {
  it('reads only the entries added since it last asked, and still sees a new unblock', async () => {
    const reads = { count: 0 };
    const counting = new AutoBlocker({
      flags,
      lists,
      audit: () =>
        new Proxy(state.data.audit, {
          get(target, key, receiver) {
            if (typeof key === 'string' && /^\d+$/.test(key)) reads.count++;
            return Reflect.get(target, key, receiver);
          },
        }),
      now: () => nowMs,
      logger: createLogger('silent'),
      reasons: 3,
      durationMs: 3_600_000,
      flagTtlMs: 7 * 86_400_000,
    });
    // A storm of flags: each one audited, each one asking.
    for (let i = 1; i <= 200; i++) {
      await flags.raise(
        { ip: `198.51.100.${i}`, reason: 'high_volume', count: 101, details: {}, seenAt: NOW },
        'test',
      );
      await counting.consider(`198.51.100.${i}`);
    }
    const trail = state.data.audit.length;
    expect(trail).toBeGreaterThanOrEqual(200);
    // Each entry read about once (a few more for the last one checked), not the trail per flag.
    expect(reads.count).toBeLessThan(trail * 3);
    await flagThreeTimes('203.0.113.61');
    expect(await counting.consider('203.0.113.61')).toBe(true);
    await lists.unblock('203.0.113.61', 'user:op');
    expect(await counting.consider('203.0.113.61')).toBe(false);
  });
});

describe('auto-block after live flags', () => {
  it('blocks once when the daily run and a live flag decide the same IP at the same time', async () => {
    await flagThreeTimes('203.0.113.51');
    await flagThreeTimes('203.0.113.52');
    const [made] = await Promise.all([blocker.run(), blocker.consider('203.0.113.52')]);
    expect(made.map((d) => d.ip)).toEqual(['203.0.113.51']);
    expect(
      state.data.audit
        .filter((e) => e.action === 'block')
        .map((e) => e.target)
        .sort(),
    ).toEqual(['203.0.113.51', '203.0.113.52']);
  });

  it('blocks once when the flags that qualify an IP ask together', async () => {
    await flagThreeTimes('203.0.113.50');
    const asked = await Promise.all([1, 2, 3].map(() => blocker.consider('203.0.113.50')));
    expect(asked.filter(Boolean)).toHaveLength(1);
    expect(lists.listBlocks().map((b) => b.target)).toEqual(['203.0.113.50']);
    expect(state.data.audit.filter((e) => e.action === 'block')).toHaveLength(1);
  });
});

describe('blocking a range that covers the operator or the allowlist', () => {
  it('refuses with 409 without force and changes nothing; with force, blocks and warns', async () => {
    operator.note('::ffff:198.51.100.77');
    for (const target of ['127.0.0.0/8', '127.0.0.1', '0.0.0.0/0', '::/0', '192.0.2.0/24', '198.51.100.77']) {
      const err = await lists.block({ target, actor: 'test' }).then(
        () => null,
        (e: Error & { status?: number }) => e,
      );
      expect(err?.status, target).toBe(409);
      expect(err?.message, target).toMatch(/would block your own address .*force/);
    }
    expect(lists.listBlocks()).toEqual([]);
    const forced = await lists.block({ target: '198.51.100.0/24', actor: 'test', force: true });
    expect(forced.warnings).toEqual([
      '198.51.100.0/24 includes your own address (198.51.100.77); blocked anyway (force)',
    ]);
    expect(lists.decide('198.51.100.77').kind).toBe('blocked');
  });

  it('warns in the result when the range holds allowlisted addresses (they stay reachable)', async () => {
    await lists.allow({ target: '203.0.113.7', actor: 'test' });
    const result = await lists.block({ target: '203.0.113.0/24', actor: 'test' });
    expect(result.warnings).toEqual([
      '203.0.113.7 is allowlisted and stays reachable (the allowlist wins over blocks)',
    ]);
    expect(lists.decide('203.0.113.7').kind).toBe('allowlisted');
    expect(lists.decide('203.0.113.8').kind).toBe('blocked');
  });

  it('remembers at most 64 admin-session addresses, the most recent', () => {
    for (let i = 0; i < 70; i++) operator.note(`198.51.100.${i}`);
    expect(operator.has('198.51.100.69')).toBe(true);
    expect(operator.has('198.51.100.6')).toBe(true);
    expect(operator.has('198.51.100.5')).toBe(false);
    operator.note('not an address');
    expect(operator.has('127.9.9.9')).toBe(true);
  });
});
