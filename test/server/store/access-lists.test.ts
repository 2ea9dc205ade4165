import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AccessDecision, AccessListError, AccessLists } from '../../../server/store/access-lists.js';
import { openStateStore, type StateStore } from '../../../server/store/state-store.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const START = Date.parse('2024-03-01T00:00:00.000Z');
const MINUTE = 60_000;

let dataDir: string;
let cleanup: () => Promise<void>;
let nowMs: number;
let store: StateStore;
let lists: AccessLists;

const clock = () => nowMs;
const kind = (decision: AccessDecision) => decision.kind;

beforeEach(async () => {
  ({ dir: dataDir, cleanup } = await makeTempDir());
  nowMs = START;
  store = await openStateStore({ dataDir, now: () => new Date(nowMs) });
  lists = new AccessLists(store, clock);
});
afterEach(() => cleanup());

/** The AccessListError a promise rejects with (fails the test when it resolves or rejects otherwise). */
async function accessErrorOf(promise: Promise<unknown>): Promise<AccessListError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AccessListError);
  return err as AccessListError;
}

describe('AccessLists.block and decide', () => {
  it('blocks a single IPv4 address and nothing next to it', async () => {
    const { entry, warnings } = await lists.block({
      target: '203.0.113.7',
      reason: 'scanner',
      actor: 'user:ann',
    });
    expect(entry).toEqual({
      target: '203.0.113.7',
      reason: 'scanner',
      createdAt: '2024-03-01T00:00:00.000Z',
      createdBy: 'user:ann',
      expiresAt: null,
    });
    expect(warnings).toEqual([]);
    // The decision's entry also carries the index's own `expiresAtMs`; the stored fields are what matter.
    expect(lists.decide('203.0.113.7')).toMatchObject({ kind: 'blocked', entry });
    expect(kind(lists.decide('203.0.113.8'))).toBe('none');
  });

  it('keeps one object per permanent block, shared by the state and the index (memory at 100,000 blocks)', async () => {
    await lists.block({ target: '203.0.113.7', actor: 'user:ann' });
    const decision = lists.decide('203.0.113.7');
    expect(decision.kind === 'blocked' && decision.entry).toBe(store.data.blocks.at(-1));
  });

  it('blocks a CIDR range, storing it canonically', async () => {
    const { entry } = await lists.block({ target: '198.51.100.77/24', actor: 'cli' });
    expect(entry.target).toBe('198.51.100.0/24');
    expect(entry.reason).toBe('');
    expect(kind(lists.decide('198.51.100.1'))).toBe('blocked');
    expect(kind(lists.decide('198.51.100.255'))).toBe('blocked');
    expect(kind(lists.decide('198.51.101.0'))).toBe('none');
  });

  it('blocks IPv6 addresses and ranges', async () => {
    await lists.block({ target: '2001:DB8:0:0::/32', actor: 'cli' });
    await lists.block({ target: '2001:db9::1', actor: 'cli' });
    expect(kind(lists.decide('2001:db8:abcd::1'))).toBe('blocked');
    expect(kind(lists.decide('2001:db9::1'))).toBe('blocked');
    expect(kind(lists.decide('2001:db9::2'))).toBe('none');
    expect(lists.listBlocks().map((b) => b.target)).toEqual(['2001:db9::1', '2001:db8::/32']);
  });

  it('answers with the most specific live block', async () => {
    await lists.block({ target: '10.0.0.0/8', reason: 'wide', actor: 'cli' });
    await lists.block({ target: '10.1.2.3', reason: 'narrow', durationMs: MINUTE, actor: 'cli' });
    const decision = lists.decide('10.1.2.3');
    expect(decision.kind === 'blocked' && decision.entry.reason).toBe('narrow');
    nowMs += MINUTE;
    const later = lists.decide('10.1.2.3');
    expect(later.kind === 'blocked' && later.entry.reason).toBe('wide');
  });

  it('lets a timed block lapse exactly at its expiry', async () => {
    const { entry } = await lists.block({ target: '192.0.2.1', durationMs: 30 * MINUTE, actor: 'cli' });
    expect(entry.expiresAt).toBe('2024-03-01T00:30:00.000Z');
    nowMs = START + 30 * MINUTE - 1;
    expect(kind(lists.decide('192.0.2.1'))).toBe('blocked');
    nowMs = START + 30 * MINUTE;
    expect(kind(lists.decide('192.0.2.1'))).toBe('none');
  });

  it('re-blocking a target replaces its entry instead of adding a second one', async () => {
    await lists.block({ target: '192.0.2.1', reason: 'first', durationMs: MINUTE, actor: 'cli' });
    nowMs += 10;
    await lists.block({ target: '192.0.2.1/32', reason: 'second', actor: 'user:bob' });
    expect(store.data.blocks).toHaveLength(1);
    expect(store.data.blocks[0]?.reason).toBe('second');
    nowMs += 2 * MINUTE;
    const decision = lists.decide('192.0.2.1');
    expect(decision.kind === 'blocked' && decision.entry.reason).toBe('second');
  });

  it('re-blocking or re-allowing without a reason keeps the reason of the entry it replaces', async () => {
    await lists.block({ target: '192.0.2.1', reason: 'brute force on /login', actor: 'cli' });
    nowMs += MINUTE;
    const { entry } = await lists.block({
      target: '192.0.2.1',
      reason: '',
      durationMs: 7 * MINUTE,
      actor: 'cli',
    });
    expect(entry).toMatchObject({
      reason: 'brute force on /login',
      expiresAt: new Date(nowMs + 7 * MINUTE).toISOString(),
    });
    expect(store.data.blocks).toEqual([entry]);
    expect(store.data.audit.at(-1)).toMatchObject({ action: 'block', reason: 'brute force on /login' });
    await lists.block({ target: '192.0.2.1', reason: '  ', actor: 'cli' });
    expect(store.data.blocks[0]?.reason).toBe('brute force on /login');
    await lists.block({ target: '192.0.2.1', reason: 'changed my mind', actor: 'cli' });
    expect(store.data.blocks[0]?.reason).toBe('changed my mind');
    // A new target has nothing to keep; nor does a target once its entry is gone.
    expect((await lists.block({ target: '192.0.2.2', actor: 'cli' })).entry.reason).toBe('');
    await lists.unblock('192.0.2.1', 'cli');
    expect((await lists.block({ target: '192.0.2.1', actor: 'cli' })).entry.reason).toBe('');

    await lists.allow({ target: '198.51.100.0/24', reason: 'office', actor: 'cli' });
    expect((await lists.allow({ target: '198.51.100.0/24', actor: 'cli' })).reason).toBe('office');
    expect(store.data.allowlist).toHaveLength(1);
  });

  it('cuts an over-long reason to 500 characters', async () => {
    const { entry } = await lists.block({ target: '192.0.2.1', reason: 'x'.repeat(600), actor: 'cli' });
    expect(entry.reason).toHaveLength(500);
    expect(kind(new AccessLists(await openStateStore({ dataDir }), clock).decide('192.0.2.1'))).toBe(
      'blocked',
    );
  });

  it.each(['not-an-ip', '1.2.3', '10.0.0.0/33', '::/129', 'fe80::1%eth0'])(
    'refuses the target %j with a 400 naming it, changing nothing',
    async (target) => {
      const err = await accessErrorOf(lists.block({ target, actor: 'cli' }));
      expect(err.status).toBe(400);
      expect(err.message).toContain(target);
      expect(store.data.blocks).toEqual([]);
      expect(store.data.audit).toEqual([]);
    },
  );

  it.each(['', '   ', 42, undefined])(
    'refuses the empty or non-string target %j with a 400',
    async (target) => {
      const err = await accessErrorOf(lists.block({ target: target as string, actor: 'cli' }));
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/IP address or CIDR range/);
    },
  );

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 9e15])(
    'refuses the duration %d with a 400, changing nothing',
    async (durationMs) => {
      const err = await accessErrorOf(lists.block({ target: '192.0.2.1', durationMs, actor: 'cli' }));
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/duration/);
      expect(store.data.blocks).toEqual([]);
    },
  );

  it('warns when a blocked range contains or sits inside an allowlisted one', async () => {
    await lists.allow({ target: '10.1.2.3', reason: 'office', actor: 'cli' });
    await lists.allow({ target: '2001:db8::/32', actor: 'cli' });
    const wide = await lists.block({ target: '10.0.0.0/12', actor: 'cli' });
    expect(wide.warnings).toHaveLength(1);
    expect(wide.warnings[0]).toContain('10.1.2.3');
    const inside = await lists.block({ target: '2001:db8:1::/48', actor: 'cli' });
    expect(inside.warnings).toHaveLength(1);
    expect(inside.warnings[0]).toContain('2001:db8::/32');
    expect((await lists.block({ target: '11.0.0.0/12', actor: 'cli' })).warnings).toEqual([]);
  });
});

describe('AccessLists allowlist', () => {
  it('wins over a block covering the same address', async () => {
    await lists.block({ target: '10.0.0.0/8', actor: 'cli' });
    const entry = await lists.allow({ target: '10.1.2.3', reason: 'monitoring', actor: 'user:ann' });
    expect(lists.decide('10.1.2.3')).toEqual({ kind: 'allowlisted', entry });
    expect(lists.isAllowlisted('10.1.2.3')).toBe(true);
    expect(kind(lists.decide('10.1.2.4'))).toBe('blocked');
    expect(lists.isAllowlisted('10.1.2.4')).toBe(false);
  });

  it('disallow removes the exemption so the block applies again', async () => {
    await lists.block({ target: '10.1.2.3', actor: 'cli' });
    await lists.allow({ target: '10.1.2.3', actor: 'cli' });
    const removed = await lists.disallow('10.1.2.3/32', 'user:ann');
    expect(removed.target).toBe('10.1.2.3');
    expect(kind(lists.decide('10.1.2.3'))).toBe('blocked');
    expect(lists.listAllowlist()).toEqual([]);
  });

  it('disallow of an unknown target is a 404, of a bad one a 400', async () => {
    expect((await accessErrorOf(lists.disallow('10.9.9.9', 'cli'))).status).toBe(404);
    expect((await accessErrorOf(lists.disallow('nope', 'cli'))).status).toBe(400);
  });

  it('re-allowing a target replaces its entry', async () => {
    await lists.allow({ target: '10.1.2.3', reason: 'a', actor: 'cli' });
    await lists.allow({ target: '10.1.2.3', reason: 'b', actor: 'cli' });
    expect(lists.listAllowlist().map((a) => a.reason)).toEqual(['b']);
  });
});

describe('AccessLists.unblock', () => {
  it('removes exactly the named block and returns it', async () => {
    await lists.block({ target: '10.0.0.0/8', actor: 'cli' });
    await lists.block({ target: '10.1.2.3', reason: 'narrow', actor: 'cli' });
    const removed = await lists.unblock('10.1.2.3', 'user:ann');
    expect(removed.reason).toBe('narrow');
    expect(kind(lists.decide('10.1.2.3'))).toBe('blocked');
    await lists.unblock('10.255.0.1/8', 'user:ann');
    expect(kind(lists.decide('10.1.2.3'))).toBe('none');
    expect(store.data.blocks).toEqual([]);
  });

  it('an unknown block is a 404 naming it; a malformed target is a 400', async () => {
    const missing = await accessErrorOf(lists.unblock('192.0.2.9', 'cli'));
    expect(missing.status).toBe(404);
    expect(missing.message).toContain('192.0.2.9');
    expect((await accessErrorOf(lists.unblock('', 'cli'))).status).toBe(400);
    expect(store.data.audit).toEqual([]);
  });

  it('can remove an expired block', async () => {
    await lists.block({ target: '192.0.2.1', durationMs: MINUTE, actor: 'cli' });
    nowMs += 2 * MINUTE;
    await lists.unblock('192.0.2.1', 'cli');
    expect(lists.listBlocks()).toEqual([]);
  });
});

describe('AccessLists records and reports', () => {
  it('writes an audit entry with the actor for every action', async () => {
    await lists.block({ target: '192.0.2.1', reason: 'r1', actor: 'user:ann' });
    nowMs += 1000;
    await lists.allow({ target: '192.0.2.2', reason: 'r2', actor: 'user:bob' });
    nowMs += 1000;
    await lists.unblock('192.0.2.1', 'cli');
    nowMs += 1000;
    await lists.disallow('192.0.2.2', 'admin-api');
    expect(store.data.audit).toEqual([
      {
        at: '2024-03-01T00:00:00.000Z',
        actor: 'user:ann',
        action: 'block',
        target: '192.0.2.1',
        reason: 'r1',
      },
      {
        at: '2024-03-01T00:00:01.000Z',
        actor: 'user:bob',
        action: 'allow',
        target: '192.0.2.2',
        reason: 'r2',
      },
      { at: '2024-03-01T00:00:02.000Z', actor: 'cli', action: 'unblock', target: '192.0.2.1' },
      { at: '2024-03-01T00:00:03.000Z', actor: 'admin-api', action: 'disallow', target: '192.0.2.2' },
    ]);
  });

  it('lists blocks newest first, marking expired ones', async () => {
    await lists.block({ target: '192.0.2.1', durationMs: MINUTE, actor: 'cli' });
    await lists.block({ target: '192.0.2.2', actor: 'cli' });
    await lists.block({ target: '192.0.2.3', durationMs: 10 * MINUTE, actor: 'cli' });
    nowMs += MINUTE;
    expect(lists.listBlocks().map((b) => [b.target, b.expired])).toEqual([
      ['192.0.2.3', false],
      ['192.0.2.2', false],
      ['192.0.2.1', true],
    ]);
  });

  it('emits a change event for each add and remove', async () => {
    const events: unknown[] = [];
    lists.on('change', (e) => events.push(e));
    await lists.block({ target: '192.0.2.1', actor: 'cli' });
    await lists.allow({ target: '2001:db8::/32', actor: 'cli' });
    await lists.unblock('192.0.2.1', 'cli');
    await lists.disallow('2001:db8::/32', 'cli');
    await accessErrorOf(lists.unblock('192.0.2.1', 'cli'));
    expect(events).toEqual([
      {
        list: 'blocklist',
        action: 'add',
        target: '192.0.2.1',
        at: START,
        actor: 'cli',
        entry: expect.objectContaining({ target: '192.0.2.1' }),
      },
      {
        list: 'allowlist',
        action: 'add',
        target: '2001:db8::/32',
        at: START,
        actor: 'cli',
        entry: expect.objectContaining({ target: '2001:db8::/32' }),
      },
      { list: 'blocklist', action: 'remove', target: '192.0.2.1', at: START, actor: 'cli' },
      { list: 'allowlist', action: 'remove', target: '2001:db8::/32', at: START, actor: 'cli' },
    ]);
  });
});

describe('AccessLists.applyRemote (changes from other instances)', () => {
  const entry = (target: string, createdAt = '2024-03-01T00:00:00.000Z') => ({
    target,
    reason: 'remote',
    createdAt,
    createdBy: 'user:other',
    expiresAt: null,
  });

  it('keeps the time of an earlier applied change when a later local one cannot be written', async () => {
    const remote = (action: 'add' | 'remove', at: number, from: string) => ({
      list: 'blocklist' as const,
      action,
      target: '203.0.113.10',
      ...(action === 'add' ? { entry: entry('203.0.113.10') } : {}),
      at,
      actor: 'user:other',
      from,
    });
    await lists.applyRemote([remote('add', nowMs - 1_000, 'B')]);
    const update = store.update.bind(store);
    store.update = () => Promise.reject(new Error('ENOSPC: no space left on device'));
    await expect(lists.unblock('203.0.113.10', 'user:op')).rejects.toThrow('ENOSPC');
    store.update = update;
    // Older than B's block, which this instance still holds: stale, whatever the failed unblock.
    expect(await lists.applyRemote([remote('remove', nowMs - 2_000, 'C')])).toEqual([]);
    expect(lists.decide('203.0.113.10').kind).toBe('blocked');
  });

  it('takes an earlier change from the cluster after a local change that could not be written', async () => {
    const update = store.update.bind(store);
    store.update = () => Promise.reject(new Error('ENOSPC: no space left on device'));
    await expect(lists.block({ target: '203.0.113.9', actor: 'user:op' })).rejects.toThrow('ENOSPC');
    store.update = update;
    const applied = await lists.applyRemote([
      {
        list: 'blocklist',
        action: 'add',
        target: '203.0.113.9',
        entry: entry('203.0.113.9'),
        at: nowMs - 1_000,
        actor: 'user:other',
        from: 'B',
      },
    ]);
    expect(applied).toHaveLength(1);
    expect(lists.decide('203.0.113.9').kind).toBe('blocked');
  });

  it('applies blocks and removals to the decisions and the state file, audited with their origin', async () => {
    const events: unknown[] = [];
    lists.on('change', (e) => events.push(e));
    const applied = await lists.applyRemote([
      {
        list: 'blocklist',
        action: 'add',
        target: '198.51.100.0/24',
        entry: entry('198.51.100.0/24'),
        at: START,
        actor: 'user:other',
        from: 'B',
      },
      {
        list: 'blocklist',
        action: 'add',
        target: '203.0.113.9',
        entry: entry('203.0.113.9'),
        at: START,
        actor: 'user:other',
        from: 'B',
      },
    ]);
    expect(applied).toHaveLength(2);
    expect(kind(lists.decide('198.51.100.77'))).toBe('blocked');
    expect(events).toEqual([expect.objectContaining({ from: 'B' }), expect.objectContaining({ from: 'B' })]);
    expect(store.data.audit.at(-1)).toMatchObject({
      action: 'block',
      actor: 'user:other',
      details: { instance: 'B' },
    });
    const restarted = new AccessLists(await openStateStore({ dataDir }), clock);
    expect(kind(restarted.decide('203.0.113.9'))).toBe('blocked');

    await lists.applyRemote([
      { list: 'blocklist', action: 'remove', target: '203.0.113.9', at: START + 1, actor: 'cli', from: 'B' },
    ]);
    expect(kind(lists.decide('203.0.113.9'))).toBe('none');
    expect(kind(lists.decide('198.51.100.77'))).toBe('blocked');
  });

  it('skips an addition whose entry names another target than the change', async () => {
    const applied = await lists.applyRemote([
      {
        list: 'blocklist',
        action: 'add',
        target: '10.0.0.1',
        entry: entry('10.0.0.2'),
        at: START,
        actor: 'x',
        from: 'B',
      },
    ]);
    expect(applied).toEqual([]);
    expect(store.data.blocks).toEqual([]);
    expect(kind(lists.decide('10.0.0.1'))).toBe('none');
    expect(kind(lists.decide('10.0.0.2'))).toBe('none');
  });

  it('skips changes that alter nothing and targets that are not canonical addresses', async () => {
    await lists.block({ target: '203.0.113.9', reason: 'remote', actor: 'user:other' });
    const same = lists.entry('blocklist', '203.0.113.9');
    const auditLength = store.data.audit.length;
    const applied = await lists.applyRemote([
      {
        list: 'blocklist',
        action: 'add',
        target: '203.0.113.9',
        entry: same,
        at: START,
        actor: 'x',
        from: 'B',
      },
      { list: 'allowlist', action: 'remove', target: '192.0.2.1', at: START, actor: 'x', from: 'B' },
      {
        list: 'blocklist',
        action: 'add',
        target: 'not-an-ip',
        entry: entry('not-an-ip'),
        at: START,
        actor: 'x',
        from: 'B',
      },
    ]);
    expect(applied).toEqual([]);
    expect(store.data.audit).toHaveLength(auditLength);
  });

  it('restores every decision from disk after a restart', async () => {
    await lists.block({ target: '10.0.0.0/8', actor: 'cli' });
    await lists.block({ target: '192.0.2.1', durationMs: MINUTE, actor: 'cli' });
    await lists.block({ target: '2001:db8::/32', actor: 'cli' });
    await lists.allow({ target: '10.1.2.3', actor: 'cli' });

    const restarted = new AccessLists(await openStateStore({ dataDir }), clock);
    expect(kind(restarted.decide('10.9.9.9'))).toBe('blocked');
    expect(kind(restarted.decide('10.1.2.3'))).toBe('allowlisted');
    expect(kind(restarted.decide('2001:db8::1'))).toBe('blocked');
    expect(kind(restarted.decide('192.0.2.1'))).toBe('blocked');
    nowMs += MINUTE;
    expect(kind(restarted.decide('192.0.2.1'))).toBe('none');
  });

  it('reload() picks up changes made to the state by another writer', async () => {
    await store.update((s) => {
      s.blocks.push({
        target: '198.51.100.0/24',
        reason: 'imported',
        createdAt: new Date(START).toISOString(),
        createdBy: 'job:import',
        expiresAt: null,
      });
    });
    expect(kind(lists.decide('198.51.100.9'))).toBe('none');
    lists.reload();
    expect(kind(lists.decide('198.51.100.9'))).toBe('blocked');
  });
});

describe('very large blocks', () => {
  it('warn that a /8 or wider (IPv6 /32 or wider) is a very wide block', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { openStateStore, AccessLists } = await import('../../../server/store/index.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-wide-'));
    const lists = new AccessLists(await openStateStore({ dataDir: dir }));
    expect(
      (await lists.block({ target: '0.0.0.0/0', actor: 't', force: true })).warnings.join('\n'),
    ).toContain('2^32 addresses');
    expect((await lists.block({ target: '10.0.0.0/8', actor: 't' })).warnings[0]).toBe(
      '10.0.0.0/8 covers 2^24 addresses (16,777,216): check that a block this wide is what you meant',
    );
    expect((await lists.block({ target: '10.0.0.0/9', actor: 't' })).warnings).toEqual([]);
    expect((await lists.block({ target: '2001:db8::/32', actor: 't' })).warnings[0]).toContain('2^96');
    await rm(dir, { recursive: true, force: true });
  });
});
