import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FlagEvidence, FlagStore } from '../../../server/detection/index.js';
import { AccessLists, openStateStore, type StateStore } from '../../../server/store/index.js';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const MIN = 60_000;

let dir: string;
let state: StateStore;
let flags: FlagStore;
let commits: number;
let errors: Error[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-flags-'));
  state = await openStateStore({ dataDir: dir });
  const update = state.update.bind(state);
  commits = 0;
  state.update = (change) => {
    commits++;
    return update(change);
  };
  errors = [];
  flags = new FlagStore(state, new AccessLists(state), {
    refreshWriteMs: 10_000,
    onError: (err) => errors.push(err),
  });
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

const evidence = (ip: string, count: number, seenAt: number): FlagEvidence => ({
  ip,
  reason: 'high_volume',
  count,
  details: { count },
  seenAt,
});
const onDisk = async () =>
  (
    JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as {
      flags: { ip: string; request_count: number }[];
    }
  ).flags;

describe('FlagStore refreshes', () => {
  it('writes the refreshes of many flags in one commit, later, while reads show them at once', async () => {
    for (let i = 0; i < 20; i++) await flags.raise(evidence(`203.0.113.${i}`, 101, T0), 'rule:live');
    const afterCreates = commits;
    const refreshed: string[] = [];
    flags.on('refresh', (flag) => refreshed.push(`${flag.ip} ${flag.request_count}`));
    for (let i = 0; i < 20; i++) {
      expect(await flags.raise(evidence(`203.0.113.${i}`, 300, T0 + 2 * MIN), 'rule:live')).toBe('updated');
    }
    expect(commits).toBe(afterCreates);
    expect(flags.active('203.0.113.4', 'high_volume')?.request_count).toBe(300);
    expect(flags.list({ ip: '203.0.113.4' })[0]?.last_seen).toBe(new Date(T0 + 2 * MIN).toISOString());
    expect((await onDisk()).find((f) => f.ip === '203.0.113.4')?.request_count).toBe(101);

    await flags.writeRefreshes();
    expect(commits).toBe(afterCreates + 1);
    expect((await onDisk()).every((f) => f.request_count === 300)).toBe(true);
    expect(refreshed).toHaveLength(20);
    expect(refreshed).toContain('203.0.113.4 300');
  });

  it('writes them by itself once refreshWriteMs has passed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await flags.raise(evidence('198.51.100.7', 101, T0), 'rule:live');
    await flags.raise(evidence('198.51.100.7', 200, T0 + 2 * MIN), 'rule:live');
    const before = commits;
    await vi.advanceTimersByTimeAsync(9_999);
    expect(commits).toBe(before);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(async () => expect((await onDisk())[0]?.request_count).toBe(200));
  });

  it('counts a refresh against the waiting one: no second refresh within refreshMs', async () => {
    await flags.raise(evidence('198.51.100.7', 101, T0), 'rule:live');
    expect(await flags.raise(evidence('198.51.100.7', 120, T0 + 2 * MIN), 'rule:live')).toBe('updated');
    expect(await flags.raise(evidence('198.51.100.7', 121, T0 + 2.5 * MIN), 'rule:live')).toBe('unchanged');
  });

  it('keeps the sample paths that got a client flagged when a refresh brings others', async () => {
    const probe = (count: number, at: number, samplePaths: string[]): FlagEvidence => ({
      ...evidence('198.51.100.7', count, at),
      reason: 'sensitive_paths',
      details: { count, samplePaths },
    });
    await flags.raise(probe(6, T0, ['/.env', '/wp-login.php']), 'rule:live');
    await flags.raise(probe(12, T0 + 2 * MIN, ['/.git/config', '/.env']), 'rule:live');
    expect(flags.active('198.51.100.7', 'sensitive_paths')?.details.samplePaths).toEqual([
      '/.env',
      '/wp-login.php',
      '/.git/config',
    ]);
    await flags.raise(probe(20, T0 + 4 * MIN, ['/a', '/b', '/c']), 'rule:live');
    expect(flags.active('198.51.100.7', 'sensitive_paths')?.details).toEqual({
      count: 20,
      samplePaths: ['/.env', '/wp-login.php', '/.git/config', '/a', '/b'],
    });
  });

  it('keeps at most 256 characters of a sample path, new flag or refresh', async () => {
    const long = (c: string) => `/${c.repeat(4_095)}`;
    const probe = (count: number, at: number, samplePaths: string[]): FlagEvidence => ({
      ...evidence('198.51.100.7', count, at),
      reason: 'sensitive_paths',
      details: { count, samplePaths },
    });
    await flags.raise(probe(6, T0, [long('a'), '/.env']), 'rule:live');
    await flags.raise(probe(12, T0 + 2 * MIN, [long('b')]), 'rule:live');
    const kept = flags.active('198.51.100.7', 'sensitive_paths')?.details.samplePaths as string[];
    expect(kept.map((p) => p.length)).toEqual([256, 5, 256]);
    expect(kept[0]).toBe(`/${'a'.repeat(254)}…`);
    expect(kept[2]?.startsWith('/bbb')).toBe(true);
  });

  it('says beforehand whether a raise would change anything', async () => {
    expect(flags.wouldChange('198.51.100.7', 'high_volume', 101, T0)).toBe(true); // no flag yet
    await flags.raise(evidence('198.51.100.7', 101, T0), 'rule:live');
    expect(flags.wouldChange('198.51.100.7', 'high_volume', 140, T0 + 30_000)).toBe(false);
    expect(flags.wouldChange('198.51.100.7', 'high_volume', 152, T0 + 30_000)).toBe(true); // grew by half
    expect(flags.wouldChange('198.51.100.7', 'high_volume', 101, T0 + MIN)).toBe(true); // refresh due
    expect(await flags.raise(evidence('198.51.100.7', 140, T0 + 30_000), 'rule:live')).toBe('unchanged');
  });

  it('does not expire a flag whose latest sighting is still waiting to be written', async () => {
    await flags.raise(evidence('198.51.100.7', 101, T0), 'rule:live');
    await flags.raise(evidence('198.51.100.7', 101, T0 + 3 * 24 * 60 * MIN), 'rule:live');
    const ended = await flags.expireBefore(T0 + 24 * 60 * MIN, 'job:cleanup');
    expect(ended).toEqual([]);
    expect(flags.active('198.51.100.7', 'high_volume')).toBeDefined();
  });

  it('does not expire a flag sighted again while the expiry is being committed', async () => {
    await flags.raise(evidence('198.51.100.7', 101, T0), 'rule:live');
    const expiring = flags.expireBefore(T0 + 24 * 60 * MIN, 'job:cleanup');
    // Queued after the expiry wrote the waiting refreshes, before its commit reads last_seen.
    expect(await flags.raise(evidence('198.51.100.7', 101, T0 + 3 * 24 * 60 * MIN), 'rule:live')).toBe(
      'updated',
    );
    expect(await expiring).toEqual([]);
    await flags.writeRefreshes();
    expect(await onDisk()).toEqual([
      expect.objectContaining({ is_active: true, last_seen: new Date(T0 + 3 * 24 * 60 * MIN).toISOString() }),
    ]);
  });

  it('keeps refreshes whose write failed and writes them next time; close() writes what waits', async () => {
    await flags.raise(evidence('198.51.100.7', 101, T0), 'rule:live');
    await flags.raise(evidence('198.51.100.7', 200, T0 + 2 * MIN), 'rule:live');
    const update = state.update;
    state.update = () => Promise.reject(new Error('disk full'));
    await expect(flags.writeRefreshes()).rejects.toThrow('disk full');
    expect(flags.active('198.51.100.7', 'high_volume')?.request_count).toBe(200);
    state.update = update;
    await flags.close();
    expect((await onDisk())[0]?.request_count).toBe(200);
  });

  it('drops a refresh raised while its flag was being dismissed: a new flag starts afresh', async () => {
    await flags.raise(evidence('198.51.100.7', 101, T0), 'rule:live');
    const dismissing = flags.dismiss('198.51.100.7', 'operator');
    // Raised while the dismissal's commit is under way: the flag still looks active.
    await flags.raise(evidence('198.51.100.7', 900, T0 + 2 * MIN), 'rule:live');
    await dismissing;
    // New traffic past the quiet hour after the dismissal (see the next test).
    const later = Date.now() + 61 * MIN;
    await flags.raise(evidence('198.51.100.7', 120, later), 'rule:live');
    await flags.writeRefreshes();
    const fresh = flags.active('198.51.100.7', 'high_volume');
    expect(fresh).toMatchObject({ request_count: 120, first_seen: new Date(later).toISOString() });
  });

  it('raises no flag again from the traffic an operator dismissed, here, from another instance or after a restart', async () => {
    await flags.raise(evidence('198.51.100.7', 101, T0), 'rule:live');
    await flags.dismiss('198.51.100.7', 'user:op');
    const dismissedAt = Date.now();
    // A monitor run over the same hour, and a live count still over the threshold within the hour.
    expect(await flags.raise(evidence('198.51.100.7', 101, T0), 'job:monitor')).toBe('dismissed');
    expect(await flags.raise(evidence('198.51.100.7', 130, dismissedAt + 30 * MIN), 'rule:live')).toBe(
      'dismissed',
    );
    // Another instance's late refresh of the flag.
    const late = { ...evidence('198.51.100.7', 140, dismissedAt - MIN) };
    await flags.applyRemote(
      'refresh',
      {
        ip: late.ip,
        reason: late.reason,
        details: {},
        request_count: 140,
        first_seen: new Date(T0).toISOString(),
        last_seen: new Date(late.seenAt).toISOString(),
        is_active: true,
      },
      { actor: 'rule:live', action: 'refresh', from: 'instance-c' },
    );
    expect(flags.active('198.51.100.7', 'high_volume')).toBeUndefined();
    // A dismissal made on another instance counts here even if this one never held the flag.
    await flags.applyRemote(
      'unflag',
      {
        ip: '198.51.100.8',
        reason: 'high_volume',
        details: {},
        request_count: 140,
        first_seen: new Date(T0).toISOString(),
        last_seen: new Date(T0).toISOString(),
        is_active: false,
      },
      { actor: 'user:op', action: 'dismiss', from: 'instance-b' },
    );
    expect(await flags.raise(evidence('198.51.100.8', 120, T0), 'job:monitor')).toBe('dismissed');
    // After a restart (the dismissal is read back from the audit trail), and for other reasons.
    const restarted = new FlagStore(state, new AccessLists(state));
    expect(await restarted.raise(evidence('198.51.100.7', 101, T0), 'job:monitor')).toBe('dismissed');
    expect(await restarted.raise({ ...evidence('198.51.100.7', 9, T0), reason: 'admin_access' }, 'x')).toBe(
      'created',
    );
    // Traffic after the quiet hour flags it again.
    expect(await restarted.raise(evidence('198.51.100.7', 150, dismissedAt + 61 * MIN), 'rule:live')).toBe(
      'created',
    );
  });

  it('close() waits for a write under way and writes what it put back', async () => {
    await flags.raise(evidence('198.51.100.7', 101, T0), 'rule:live');
    await flags.raise(evidence('198.51.100.7', 200, T0 + 2 * MIN), 'rule:live');
    const update = state.update;
    let failOnce = true;
    state.update = (change) => {
      if (!failOnce) return update(change);
      failOnce = false;
      return new Promise((_, reject) => setTimeout(() => reject(new Error('disk full')), 20));
    };
    const first = flags.writeRefreshes().catch((err: Error) => err.message);
    await flags.close(); // nothing waits when it starts: the write under way holds the refresh
    expect(await first).toBe('disk full');
    expect((await onDisk())[0]?.request_count).toBe(200);
  });
});

describe('FlagStore capacity (a client rotating through its IPv6 /64 flags a new address each time)', () => {
  it('refuses new flags once full, keeps refreshing the ones it holds, and says so for an hour', async () => {
    let nowMs = T0;
    const full: number[] = [];
    const small = new FlagStore(state, new AccessLists(state), {
      capacity: 3,
      now: () => nowMs,
      onFull: (capacity) => full.push(capacity),
    });
    const ips = ['2001:db8::1', '2001:db8::2', '2001:db8::3'];
    for (const ip of ips) expect(await small.raise(evidence(ip, 101, T0), 'live')).toBe('created');
    expect(small.problem()).toBeNull();
    expect(await small.raise(evidence('2001:db8::4', 101, T0), 'live')).toBe('full');
    expect(await small.raise(evidence('2001:db8::5', 101, T0), 'live')).toBe('full');
    expect(full).toEqual([3]); // told once per episode, not per refusal
    expect(small.problem()).toContain('2 new flags were not recorded');
    expect(small.problem()).toContain('3 active flags were held');
    // A flag it holds is still refreshed.
    expect(await small.raise(evidence('2001:db8::1', 500, T0 + 2 * MIN), 'live')).toBe('updated');
    expect(state.data.flags.map((f) => f.ip)).toEqual(ips);
    // Room made by a dismissal takes the next new flag.
    await small.dismiss('2001:db8::2', 'user:op');
    expect(await small.raise(evidence('2001:db8::6', 101, T0), 'live')).toBe('created');
    // Another instance's new flag is not added while full either.
    await small.applyRemote('flag', { ...state.data.flags[0], ip: '2001:db8::7', is_active: true } as never, {
      actor: 'live',
      action: 'flag',
      from: 'other',
    });
    expect(small.active('2001:db8::7', 'high_volume')).toBeUndefined();
    expect(small.problem()).toContain('3 new flags were not recorded');
    nowMs += 3_600_001;
    expect(small.problem()).toBeNull();
  });

  it('holds when a batch of new flags is raised at once, as live detection does', async () => {
    const small = new FlagStore(state, new AccessLists(state), { capacity: 3 });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => small.raise(evidence(`2001:db8::${i + 1}`, 101, T0), 'live')),
    );
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'full')).toHaveLength(47);
    expect(state.data.flags.filter((f) => f.is_active)).toHaveLength(3);
  });
});
