import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flag } from '../../server/store/index.js';
import { startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

let upstream: TestUpstream;
let app: TestAppliance;

beforeAll(async () => {
  upstream = await startUpstream();
  app = await startTestAppliance({ upstream: upstream.url.href, trustProxy: 'loopback', schedule: false });
});
afterAll(async () => {
  await app.stop();
  await upstream.close();
});

function send(method: string, path: string, ip: string): Promise<number> {
  const { hostname, port } = new URL(app.addresses.proxyUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path, headers: { 'x-forwarded-for': ip } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'username=admin&password=guess' : undefined);
  });
}

describe('a scripted attack through the real proxy', () => {
  it('is flagged live for each reason it crosses and, at 3 reasons, blocked', async () => {
    const attacker = '203.0.113.66';
    const events: Flag[] = [];
    app.appliance.parts.detection.flags.on('flag', (flag) => events.push(flag));

    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push(await send('POST', '/login', attacker));
    expect(statuses.filter((s) => s === 401)).toHaveLength(5); // the rate limit answers the rest
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);

    // Flagged within a second of crossing: failed_logins (30 > 10) and sensitive_paths (/login, 30 > 5).
    while (events.length < 2 && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 50));
    expect(events.map((e) => e.reason).sort()).toEqual(['failed_logins', 'sensitive_paths']);
    expect(Date.now() - started).toBeLessThan(5_000);

    for (let i = 0; i < 4; i++) await send('GET', `/admin/probe${i}`, attacker);
    const deadline = Date.now() + 2_000;
    while (app.appliance.parts.accessLists.decide(attacker).kind !== 'blocked' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(events.map((e) => e.reason).sort()).toEqual(['admin_access', 'failed_logins', 'sensitive_paths']);
    expect(await send('GET', '/', attacker)).toBe(403);
    expect(await send('GET', '/', '203.0.113.67')).toBe(200); // a neighbour is not affected

    const flags = (await (await app.admin(`/api/flags?ip=${attacker}&active=1`)).json()) as { flags: Flag[] };
    expect(flags.flags).toHaveLength(3);
    const failed = flags.flags.find((x) => x.reason === 'failed_logins');
    expect(failed?.details).toMatchObject({ source: 'live', threshold: 10, samplePaths: ['/login'] });
  });

  it('lets the operator dismiss flags and run jobs through the admin API', async () => {
    const dismissed = await app.admin('/api/flags/203.0.113.66/dismiss', { method: 'POST' });
    expect(dismissed.status).toBe(200);
    expect(((await dismissed.json()) as { dismissed: unknown[] }).dismissed).toHaveLength(3);
    expect((await app.admin('/api/flags/203.0.113.66/dismiss', { method: 'POST' })).status).toBe(404);

    const jobs = (await (await app.admin('/api/jobs')).json()) as {
      jobs: { name: string; schedule: string }[];
    };
    expect(jobs.jobs.map((j) => j.name)).toEqual(['monitor', 'cleanup', 'auto-block', 'retention', 'report']);
    const dry = (await (await app.admin('/api/jobs/cleanup/run?dryRun=1', { method: 'POST' })).json()) as {
      run: { outcome: string; dryRun: boolean };
    };
    expect(dry.run).toMatchObject({ outcome: 'ok', dryRun: true });
    const report = await app.admin('/api/jobs/report/run', { method: 'POST' });
    expect(report.status).toBe(200);
    const reports = (await (await app.admin('/api/reports')).json()) as {
      reports: unknown[];
      latest: { volume: { total: number } } | null;
    };
    expect(reports.reports).toHaveLength(1);
    expect(reports.latest).not.toBeNull();
    expect((await app.admin('/api/jobs/nope/run', { method: 'POST' })).status).toBe(404);
  });

  it('ends the flags of an address once it is allowlisted, and of a range', async () => {
    const { flags } = app.appliance.parts.detection;
    const seenAt = Date.now();
    for (const [ip, reason] of [
      ['198.51.100.30', 'admin_access'],
      ['198.51.100.30', 'sensitive_paths'],
      ['198.51.100.31', 'admin_access'],
    ] as const)
      await flags.raise({ ip, reason, count: 9, details: {}, seenAt }, 'test');
    const allow = (target: string) =>
      app.admin('/api/allowlist', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target, reason: 'a partner' }),
      });
    expect((await allow('198.51.100.30')).status).toBe(201);
    await expect.poll(() => flags.activeReasons('198.51.100.30').size).toBe(0);
    expect(flags.activeReasons('198.51.100.31').size).toBe(1);
    expect(
      app.appliance.parts.state.data.audit.filter(
        (e) => e.action === 'dismiss' && e.target === '198.51.100.30',
      ),
    ).toHaveLength(2);
    expect((await allow('198.51.100.0/24')).status).toBe(201);
    await expect.poll(() => flags.activeReasons('198.51.100.31').size).toBe(0);
  });
});

describe('the scheduled jobs', () => {
  type Jobs = { jobs: { name: string; nextRun: string | null }[] };

  it('are scheduled when ipwarden starts (the default), each at its next UTC slot, and stop with it', async () => {
    const scheduled = await startTestAppliance({ upstream: upstream.url.href, schedule: true });
    const { jobs: runner } = scheduled.appliance.parts.detection;
    try {
      const { jobs } = (await (await scheduled.admin('/api/jobs')).json()) as Jobs;
      const next = Object.fromEntries(jobs.map((j) => [j.name, j.nextRun]));
      const now = Date.now();
      for (const name of ['monitor', 'report']) {
        const at = Date.parse(next[name] as string);
        expect(at).toBeGreaterThan(now);
        expect(at - now).toBeLessThanOrEqual(3_600_000);
      }
      expect(new Date(next.monitor as string).getUTCMinutes()).toBe(1);
      expect(new Date(next.report as string).getUTCMinutes()).toBe(5);
      expect(new Date(next.retention as string).toISOString()).toMatch(/T00:30:00\.000Z$/);
    } finally {
      await scheduled.stop();
    }
    expect(runner.describe().every((j) => j.nextRun === null)).toBe(true);
  });

  it('are left to `ipwarden monitor` with schedule: false', async () => {
    const { jobs } = (await (await app.admin('/api/jobs')).json()) as Jobs;
    expect(jobs.map((j) => j.nextRun)).toEqual([null, null, null, null, null]);
  });
});
