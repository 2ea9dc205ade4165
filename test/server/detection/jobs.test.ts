import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Job, type JobName, JobRunner } from '../../../server/detection/index.js';
import { KEPT_SUMMARY_ITEMS } from '../../../server/detection/jobs.js';
import { createLogger } from '../../../server/log.js';
import { record } from '../../helpers/records.js';
import { type DetectionFixture, detectionFixture } from './detection-fixture.js';

let f: DetectionFixture;
beforeEach(async () => {
  f = await detectionFixture(Date.parse('2026-03-02T10:00:00Z'), { detection: undefined });
});
afterEach(async () => {
  await f.close();
});

const DAY = 86_400_000;
const MINUTE = 60_000;

async function flagNow(ip: string, reason: 'high_volume' | 'sensitive_paths' | 'admin_access', at: number) {
  await f.detection.flags.raise({ ip, reason, count: 999, details: { source: 'test' }, seenAt: at }, 'test');
}

describe('cleanup (flags expire after 7 days)', () => {
  it('deactivates a flag last seen 7 days + 1 minute ago and keeps one seen 7 days − 1 minute ago', async () => {
    await flagNow('203.0.113.1', 'high_volume', f.clock.t - 7 * DAY - MINUTE);
    await flagNow('203.0.113.2', 'high_volume', f.clock.t - 7 * DAY + MINUTE);
    const run = await f.detection.jobs.run('cleanup');
    expect(run.outcome).toBe('ok');
    expect(run.summary?.deactivated).toEqual([expect.objectContaining({ ip: '203.0.113.1' })]);
    expect(f.detection.flags.list({ active: true }).map((x) => x.ip)).toEqual(['203.0.113.2']);
    expect(f.state.data.audit.at(-1)).toMatchObject({
      action: 'unflag',
      actor: 'job:cleanup',
      target: '203.0.113.1',
    });
    expect(f.detection.jobs.runs()[0]).toMatchObject({ name: 'cleanup', outcome: 'ok' });
  });
});

describe('retention archives ended flags older than the retention (each instance its own)', () => {
  it('moves them to flags-archive.ndjson and out of the state; active and recent ended ones stay', async () => {
    await flagNow('203.0.113.3', 'high_volume', f.clock.t - 91 * DAY); // last seen past the 90 days
    await flagNow('203.0.113.4', 'high_volume', f.clock.t - 10 * DAY); // within the 90 days
    await flagNow('203.0.113.5', 'high_volume', f.clock.t - MINUTE); // active
    expect((await f.detection.jobs.run('retention', { dryRun: true })).summary?.archived).toBe(0); // still active
    await f.detection.jobs.run('cleanup'); // ends the first two
    // An earlier append cut short (a full disk): its line is cut off, its flags written again whole.
    await writeFile(path.join(f.dir, 'flags-archive.ndjson'), '{"ip":"203.0.113.3","rea');
    expect((await f.detection.jobs.run('retention', { dryRun: true })).summary?.archived).toBe(1);
    const run = await f.detection.jobs.run('retention');
    expect(run.summary?.archived).toBe(1);
    expect(f.state.data.flags.map((x) => x.ip).sort()).toEqual(['203.0.113.4', '203.0.113.5']);
    const archive = await readFile(path.join(f.dir, 'flags-archive.ndjson'), 'utf8');
    expect(
      archive
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).ip),
    ).toEqual(['203.0.113.3']);
    expect((await stat(path.join(f.dir, 'flags-archive.ndjson'))).mode & 0o777).toBe(0o600);
    expect((await f.detection.jobs.run('retention')).summary?.archived).toBe(0);
  });

  it("moves detection's own old audit entries to audit-archive.ndjson and keeps operators' decisions", async () => {
    const old = new Date(f.clock.t - 100 * DAY).toISOString();
    await f.state.update((draft) => {
      draft.audit.push(
        { at: old, actor: 'live', action: 'flag', target: '203.0.113.6', reason: 'high_volume' },
        { at: old, actor: 'job:cleanup', action: 'unflag', target: '203.0.113.6', reason: 'high_volume' },
        { at: old, actor: 'user:op', action: 'unblock', target: '203.0.113.7' },
        { at: old, actor: 'user:op', action: 'dismiss', target: '203.0.113.8', reason: 'admin_access' },
      );
    });
    const run = await f.detection.jobs.run('retention');
    expect(run.summary?.archivedAudit).toBe(2);
    expect(f.state.data.audit.filter((e) => e.at === old).map((e) => e.action)).toEqual([
      'unblock',
      'dismiss',
    ]);
    const lines = (await readFile(path.join(f.dir, 'audit-archive.ndjson'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).action)).toEqual(['flag', 'unflag']);
  });
});

describe('dry runs', () => {
  it('change nothing: the state file is byte-identical', async () => {
    await flagNow('203.0.113.1', 'high_volume', f.clock.t - 8 * DAY);
    for (const reason of ['high_volume', 'sensitive_paths', 'admin_access'] as const)
      await flagNow('203.0.113.9', reason, f.clock.t);
    // Flags raised directly do not block (only live detection and the jobs do): the auto-block job would.
    for (let i = 0; i < 150; i++)
      f.requestLog.append(record('198.51.100.3', f.clock.t + 10 * MINUTE + i * 1000));
    await f.requestLog.flush();
    f.clock.t += 60 * MINUTE;
    const before = await readFile(f.state.file);
    const runs = await f.detection.jobs.runAll({ dryRun: true });
    expect(runs.every((r) => r.outcome === 'ok' && r.dryRun)).toBe(true);
    const byName = Object.fromEntries(runs.map((r) => [r.name, r.summary]));
    expect(byName.cleanup?.deactivated).toEqual([expect.objectContaining({ ip: '203.0.113.1' })]);
    expect(byName['auto-block']?.blocked).toEqual([expect.objectContaining({ ip: '203.0.113.9' })]);
    expect(byName.monitor?.findings).toEqual([
      expect.objectContaining({ ip: '198.51.100.3', reason: 'high_volume', count: 150 }),
    ]);
    expect((await readFile(f.state.file)).equals(before)).toBe(true);
  });
});

describe('monitor (hourly, from the request log)', () => {
  it('finds from the log what live detection would have, e.g. after a restart', async () => {
    const hour = Date.parse('2026-03-02T09:00:00Z');
    for (let i = 0; i < 101; i++)
      f.requestLog.append(record('198.51.100.50', hour + i * 20_000, { path: `/a${i}` }));
    for (let i = 0; i < 4; i++)
      f.requestLog.append(record('198.51.100.51', hour + i * 60_000, { path: '/admin/users' }));
    for (let i = 0; i < 3; i++)
      f.requestLog.append(record('198.51.100.52', hour + i * 60_000, { path: '/admin/users' }));
    await f.requestLog.flush();
    const run = await f.detection.jobs.run('monitor'); // clock: 10:00, so it covers 09:00–10:00
    expect(run.outcome).toBe('ok');
    const found = f.detection.flags
      .list({ active: true })
      .map((x) => `${x.ip} ${x.reason} ${x.request_count}`)
      .sort();
    expect(found).toEqual(
      [
        '198.51.100.50 high_volume 101',
        '198.51.100.51 admin_access 4',
        '198.51.100.51 sensitive_paths 4',
      ].filter((s) => !s.includes('sensitive_paths 4')),
    );
    const flag = f.detection.flags.active('198.51.100.50', 'high_volume');
    expect(flag?.details).toMatchObject({
      source: 'monitor',
      threshold: 100,
      window: { start: '2026-03-02T09:00:00.000Z', end: '2026-03-02T10:00:00.000Z' },
    });
    expect(flag?.last_seen).toBe(new Date(hour + 100 * 20_000).toISOString());
  });

  it('records a failing job and still runs the others', async () => {
    // Break the monitor: its request log directory becomes unreadable (a file where a dir should be).
    const { rm, writeFile } = await import('node:fs/promises');
    await rm(f.requestLog.dir, { recursive: true });
    await writeFile(f.requestLog.dir, 'not a directory');
    const runs = await f.detection.jobs.runAll();
    const monitor = runs.find((r) => r.name === 'monitor');
    expect(monitor?.outcome).toBe('failed');
    expect(monitor?.error).toBeTruthy();
    expect(runs.find((r) => r.name === 'cleanup')?.outcome).toBe('ok');
    expect(
      f.detection.jobs
        .runs()
        .filter((r) => r.outcome === 'failed')
        .map((r) => r.name),
    ).toContain('monitor');
  });

  it('writes an hourly report the admin API can serve', async () => {
    for (let i = 0; i < 10; i++)
      f.requestLog.append(record('81.2.69.142', Date.parse('2026-03-02T09:30:00Z') + i));
    await f.requestLog.flush();
    const run = await f.detection.jobs.run('report');
    expect(run.summary).toMatchObject({ total: 10 });
    const { listReports } = await import('../../../server/detection/index.js');
    const { latest, reports } = await listReports(f.detection.reportsDir);
    expect(reports[0]?.name).toBe('report-2026-03-02T10.json');
    expect(latest?.volume.total).toBe(10);
    // A newer report cut short (a full disk) is moved aside, and the last good one stands in.
    const cut = path.join(f.detection.reportsDir, 'report-2026-03-02T11.json');
    await writeFile(cut, '{"volume": {"tot');
    const after = await listReports(f.detection.reportsDir);
    expect(after.latest?.volume.total).toBe(10);
    expect(after.reports.map((r) => r.name)).toEqual(['report-2026-03-02T10.json']);
    expect(after.movedAside).toHaveLength(1);
    expect(await readFile(after.movedAside[0] as string, 'utf8')).toBe('{"volume": {"tot');
    expect(after.movedAside[0]).toMatch(/report-2026-03-02T11\.json\.corrupt-/);
    // JSON that is no report (`null` once made this loop for ever) is moved aside too.
    await writeFile(path.join(f.detection.reportsDir, 'report-2026-03-02T12.json'), 'null\n');
    const again = await listReports(f.detection.reportsDir);
    expect(again.latest?.volume.total).toBe(10);
    expect(again.movedAside).toHaveLength(1);
  });
});

describe('recorded runs', () => {
  it('keep the first 100 items of a long list and its length; the caller gets the whole run', async () => {
    const findings = Array.from({ length: 2_500 }, (_, i) => ({ ip: `198.51.100.${i % 250}`, n: i }));
    const runner = new JobRunner(
      [
        {
          name: 'monitor',
          schedule: '1 * * * *',
          description: 'm',
          run: async () => ({ findings, records: 9 }),
        },
      ],
      f.state,
      createLogger('silent'),
      f.clock.now,
    );
    const run = await runner.run('monitor');
    expect(run.summary?.findings).toHaveLength(2_500);
    const [kept] = runner.runs(1);
    expect(kept?.summary).toEqual({
      findings: findings.slice(0, KEPT_SUMMARY_ITEMS),
      records: 9,
      truncated: { findings: 2_500 },
    });
    expect(JSON.parse(await readFile(f.state.file, 'utf8')).jobRuns.at(-1).summary.truncated).toEqual({
      findings: 2_500,
    });
  });
});

describe('scheduled runs in a cluster', () => {
  it('run a cluster job only where its lock is won, and anyway when the lock cannot be asked', async () => {
    const ran: string[] = [];
    const job = (name: JobName, scope?: Job['scope']): Job => ({
      name,
      schedule: '1 * * * *',
      description: name,
      scope,
      run: async () => {
        ran.push(name);
        return {};
      },
    });
    const locks: [string, number][] = [];
    let answer: boolean | Error = false;
    const runner = new JobRunner(
      [job('monitor'), job('retention', 'instance')],
      f.state,
      createLogger('silent'),
      f.clock.now,
      async (name, slotMs) => {
        locks.push([name, slotMs]);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    );
    const slot = new Date(Date.UTC(2026, 2, 2, 10, 1, 0, 250)); // node-schedule's fire date, a little late
    expect(await runner.runScheduled('monitor', slot)).toBeNull();
    expect(locks).toEqual([['monitor', Date.UTC(2026, 2, 2, 10, 1)]]);
    expect(await runner.runScheduled('retention', slot)).toMatchObject({ outcome: 'ok' });
    expect(locks).toHaveLength(1); // per-instance jobs take no lock
    answer = new Error('Redis unreachable');
    expect(await runner.runScheduled('monitor', slot)).toMatchObject({ outcome: 'ok' });
    answer = true;
    expect(await runner.run('monitor')).toMatchObject({ outcome: 'ok' }); // an operator's run takes no lock
    expect(ran).toEqual(['retention', 'monitor', 'monitor']);
    expect(locks).toHaveLength(2);
  });
});
