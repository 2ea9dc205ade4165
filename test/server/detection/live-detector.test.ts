import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AutoBlocker } from '../../../server/detection/auto-block.js';
import { LiveDetector } from '../../../server/detection/live-detector.js';
import { MemoryWindowCounts } from '../../../server/detection/memory-window-counts.js';
import { compileRules, type RuleSet } from '../../../server/detection/rules.js';
import type { Logger } from '../../../server/log.js';
import { heldStringKinds } from '../../helpers/heap-strings.js';
import { record } from '../../helpers/records.js';
import { type DetectionFixture, detectionFixture } from './detection-fixture.js';

let f: DetectionFixture;
beforeEach(async () => {
  f = await detectionFixture();
});
afterEach(async () => {
  await f.close();
});

/** Feeds `n` records built by `make(i)` one second apart, then counts them. */
async function feed(n: number, make: (i: number) => Parameters<typeof record>[2], ip = '198.51.100.7') {
  for (let i = 0; i < n; i++) {
    f.detection.live.observe(record(ip, f.clock.t, make(i)));
    f.clock.t += 1000;
  }
  await f.detection.live.flush();
}

const reasons = () =>
  f.detection.flags
    .list({ active: true })
    .map((x) => x.reason)
    .sort();

describe('live detection: each seed rule just below and just above its threshold', () => {
  const cases = [
    { reason: 'high_volume', threshold: 100, make: (i: number) => ({ path: `/p${i % 7}` }) },
    { reason: 'sensitive_paths', threshold: 5, make: () => ({ path: '/.env' }) },
    { reason: 'failed_logins', threshold: 10, make: () => ({ path: '/login', method: 'POST', status: 401 }) },
    { reason: 'admin_access', threshold: 3, make: () => ({ path: '/wp-admin/setup.php' }) },
  ] as const;

  for (const c of cases) {
    it(`${c.reason}: ${c.threshold} in an hour is fine, ${c.threshold + 1} is flagged`, async () => {
      await feed(c.threshold, c.make);
      expect(f.detection.flags.active('198.51.100.7', c.reason)).toBeUndefined();
      await feed(1, c.make);
      const flag = f.detection.flags.active('198.51.100.7', c.reason);
      expect(flag).toMatchObject({
        ip: '198.51.100.7',
        reason: c.reason,
        request_count: c.threshold + 1,
        is_active: true,
      });
      expect(flag?.details).toMatchObject({
        source: 'live',
        count: c.threshold + 1,
        threshold: c.threshold,
        window: { minutes: 60 },
      });
      expect(flag?.details.samplePaths).toEqual(expect.arrayContaining([expect.any(String)]));
    });
  }

  it('brute_force: 200 requests in an hour is only high_volume, 201 is also brute_force', async () => {
    await feed(200, () => ({}));
    expect(reasons()).toEqual(['high_volume']);
    await feed(1, () => ({}));
    expect(reasons()).toEqual(['brute_force', 'high_volume']);
  });

  it('counts a sliding hour: hits older than the window no longer count', async () => {
    await feed(100, () => ({}));
    f.clock.t += 61 * 60_000; // every earlier hit is now more than an hour old
    await feed(100, () => ({}));
    expect(f.detection.flags.active('198.51.100.7', 'high_volume')).toBeUndefined();
  });

  it('counts 429s from the rate limit as failed logins (a brute-forcer keeps trying)', async () => {
    await feed(5, () => ({ path: '/login', method: 'POST', status: 401 }));
    await feed(6, () => ({ path: '/login', method: 'POST', status: 429, action: 'rate_limited' }));
    expect(f.detection.flags.active('198.51.100.7', 'failed_logins')?.request_count).toBe(11);
  });

  it('never flags an allowlisted IP', async () => {
    await f.lists.allow({ target: '198.51.100.0/24', actor: 'test' });
    await feed(300, () => ({ path: '/.env' }));
    expect(f.detection.flags.list()).toEqual([]);
  });

  it('keeps one active flag per (ip, reason) and refreshes it; writes the audit trail', async () => {
    await feed(6, () => ({ path: '/.env' }));
    f.clock.t += 5 * 60_000;
    await feed(10, () => ({ path: '/.git/config' }));
    const flags = f.detection.flags.list({ reason: 'sensitive_paths' });
    expect(flags).toHaveLength(1);
    expect(flags[0]?.request_count).toBe(16);
    expect(f.state.data.audit.filter((a) => a.action === 'flag')).toHaveLength(1);
  });

  it('emits a flag event for each new flag', async () => {
    const seen: string[] = [];
    f.detection.flags.on('flag', (flag) => seen.push(`${flag.ip} ${flag.reason}`));
    await feed(6, () => ({ path: '/.env' }));
    await feed(6, () => ({ path: '/.env' }));
    expect(seen).toEqual(['198.51.100.7 sensitive_paths']);
  });
});

describe('a flood of abusive clients', () => {
  it('flags 300 IPs crossing a threshold in the same batch, all of them', async () => {
    for (let i = 0; i < 101; i++) {
      for (let n = 0; n < 300; n++) {
        f.detection.live.observe(record(n < 250 ? `203.0.113.${n}` : `198.51.100.${n - 250}`, f.clock.t));
      }
      f.clock.t += 10;
    }
    await f.detection.live.flush();
    const flagged = new Set(f.detection.flags.list({ reason: 'high_volume' }).map((x) => x.ip));
    expect(flagged.size).toBe(300);
  });
});

describe('auto-block', () => {
  it('blocks at 3 distinct reasons, not at 2', async () => {
    await feed(6, () => ({ path: '/login', method: 'POST', status: 401 })); // sensitive_paths (/login) only: 6 > 5
    await feed(5, () => ({ path: '/login', method: 'POST', status: 401 })); // failed_logins: 11 > 10
    expect(reasons()).toEqual(['failed_logins', 'sensitive_paths']);
    expect(f.lists.decide('198.51.100.7').kind).toBe('none');
    await feed(4, () => ({ path: '/admin/' })); // admin_access: 4 > 3
    expect(reasons()).toEqual(['admin_access', 'failed_logins', 'sensitive_paths']);
    const decision = f.lists.decide('198.51.100.7');
    expect(decision.kind).toBe('blocked');
    expect(decision.kind === 'blocked' && decision.entry).toMatchObject({
      reason: 'auto-block: admin_access, failed_logins, sensitive_paths',
      createdBy: 'job:auto-block',
    });
    // The seeds' default: a 7-day block.
    const expires = decision.kind === 'blocked' ? Date.parse(decision.entry.expiresAt ?? '') : 0;
    expect(expires - f.clock.t).toBeGreaterThan(6.9 * 86_400_000);
  });
});

describe('observe', () => {
  it('tallies a record when it sees it: later changes to the record count for nothing', async () => {
    const records = Array.from({ length: 6 }, () => record('198.51.100.7', f.clock.t, { path: '/.env' }));
    for (const r of records) f.detection.live.observe(r);
    for (const r of records) r.url.path = '/harmless';
    await f.detection.live.flush();
    const [flag] = f.detection.flags.list({ reason: 'sensitive_paths' });
    expect(flag?.ip).toBe('198.51.100.7');
    expect(JSON.stringify(flag)).toContain('/.env');
    expect(JSON.stringify(flag)).not.toContain('/harmless');
  });

  it('counts a client seen batch after batch: each batch its own hits and evidence, whatever the batch before held', async () => {
    const { live } = f.detection;
    for (let i = 0; i < 3; i++) live.observe(record('198.51.100.7', f.clock.t, { path: '/.env' }));
    await live.flush();
    expect(f.detection.flags.list({ reason: 'sensitive_paths' })).toEqual([]);
    for (let i = 0; i < 3; i++) live.observe(record('198.51.100.7', f.clock.t, { path: '/.git/config' }));
    await live.flush();
    const [flag] = f.detection.flags.list({ reason: 'sensitive_paths' });
    expect(flag?.request_count).toBe(6);
    expect(flag?.details.samplePaths).toEqual(['/.git/config']);
  });

  it('lets go of the tallies of clients that stop coming, after five counts without a hit', async () => {
    const { live } = f.detection;
    for (let i = 0; i < 100; i++) live.observe(record(`198.51.100.${i}`, f.clock.t, { path: '/.env' }));
    await live.flush();
    expect(live.size).toBe(200); // the requests and sensitive_paths counters of each client
    for (let n = 1; n <= 5; n++) {
      live.observe(record('203.0.113.9', f.clock.t));
      await live.flush();
      expect(live.size).toBe(n < 5 ? 201 : 1);
    }
  });

  it('keeps each counter key as one flat string, not a rope holding the IP string too (issue 8, memory)', async () => {
    const { live } = f.detection;
    for (let i = 0; i < 50; i++)
      live.observe(record(`2001:db8::${i.toString(16)}`, f.clock.t, { path: '/.env' }));
    await live.flush();
    const kinds = await heldStringKinds('MemoryWindowCounts', '#keys');
    expect(kinds.length).toBeGreaterThanOrEqual(100); // the requests and sensitive_paths keys of each client
    expect(new Set(kinds)).toEqual(new Set(['string']));
  });

  it('never throws on the request path: a rule that fails is logged and the request skipped', async () => {
    const errors: string[] = [];
    const logger = { error: (_: unknown, message: string) => errors.push(message) } as unknown as Logger;
    const rules = {
      windowMs: 3_600_000,
      matching: () => {
        throw new Error('rule bug');
      },
    } as unknown as RuleSet;
    const live = new LiveDetector({
      rules,
      windows: new MemoryWindowCounts(),
      flags: f.detection.flags,
      autoBlocker: {} as AutoBlocker,
      logger,
    });
    expect(() => live.observe(record('198.51.100.7', f.clock.t))).not.toThrow();
    await live.close();
    expect(errors).toEqual(['live detection could not tally a request']);
  });
});

describe('a settings change between a request and its count', () => {
  it('judges the tallies by the rules in force when they are counted', async () => {
    for (let i = 0; i < 5; i++)
      f.detection.live.observe(record('198.51.100.7', f.clock.t, { path: '/wp-admin/' }));
    const { detection } = f.config;
    f.detection.live.setRules(
      compileRules({ ...detection, thresholds: { ...detection.thresholds, admin_access: 1000 } }),
    );
    await f.detection.live.flush();
    expect(f.detection.flags.list({ reason: 'admin_access' })).toEqual([]);
  });
});
