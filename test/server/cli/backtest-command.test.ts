import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFlags } from '../../../server/cli/backtest-command.js';
import type { BacktestResult } from '../../../server/detection/index.js';
import { startTestAppliance } from '../../helpers/appliance.js';
import { runCli } from '../../helpers/cli.js';
import { APACHE_LOGS } from '../../helpers/combined-log.js';

const HOUR_MS = 3_600_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The count, computed from the raw file without any ipwarden code: per IP per clock hour
 * (UTC) — the monitor's window — the IPs whose busiest hour has more than `over` requests.
 */
async function ipsOver(over: number): Promise<Set<string>> {
  const line = /^(\S+) \S+ \S+ \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]/;
  const perWindow = new Map<string, number>();
  for (const text of (await readFile(APACHE_LOGS, 'utf8')).split('\n')) {
    const m = line.exec(text);
    if (!m) continue;
    const [, ip, d, mon, y, h, min, s, sign, oh, om] = m;
    const local = Date.UTC(
      Number(y),
      MONTHS.indexOf(mon as string),
      Number(d),
      Number(h),
      Number(min),
      Number(s),
    );
    const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
    const key = `${ip} ${Math.floor((local - offset) / HOUR_MS)}`;
    perWindow.set(key, (perWindow.get(key) ?? 0) + 1);
  }
  const ips = new Set<string>();
  for (const [key, count] of perWindow) if (count > over) ips.add(key.split(' ')[0] as string);
  return ips;
}

/** sha256 of every file under `dir` (relative path → hash): what "changes nothing" means on disk. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.set(
      path.relative(dir, file),
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
  }
  return out;
}

let dir: string;
const run = (...args: string[]) => runCli(dir, ...args);
const RANGE = ['--since', '2015-05-17T00:00:00Z', '--until', '2015-05-21T00:00:00Z'];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-cli-backtest-'));
  const imported = await run('import', APACHE_LOGS.pathname, '--json');
  expect(imported.error).toBeUndefined();
  await writeFile(path.join(dir, 'high-volume-50.json'), '{"detection":{"thresholds":{"high_volume":50}}}');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ipwarden backtest over the imported apache_logs', () => {
  it('lowering high_volume from 100 to 50 newly flags exactly the IPs an independent count finds', async () => {
    const before = await snapshot(dir);
    const cli = await run('backtest', '--config', 'high-volume-50.json', ...RANGE, '--json');
    expect(cli.error).toBeUndefined();
    const result = JSON.parse(cli.out) as BacktestResult;

    const over100 = await ipsOver(100);
    const expected = [...(await ipsOver(50))].filter((ip) => !over100.has(ip)).sort();
    const gainedHighVolume = [...result.diff.newlyFlagged, ...result.diff.reasonsChanged]
      .filter(
        (e) => e.reasons.some((r) => r.reason === 'high_volume') && !e.otherReasons.includes('high_volume'),
      )
      .map((e) => e.ip)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(gainedHighVolume).toEqual(expected);
    expect(result.diff.noLongerFlagged).toEqual([]);
    expect(result.current).toMatchObject({ records: 10_000, lateRecords: 0 });

    // Evidence: 130.237.218.86 went over 50 in four clock hours, 75 at most, first at 13:xx on 19 May.
    const evidence = result.diff.newlyFlagged.find((e) => e.ip === '130.237.218.86')?.reasons[0];
    expect(evidence).toMatchObject({ reason: 'high_volume', count: 75, threshold: 50, windows: 4 });
    expect(evidence?.firstAt).toMatch(/^2015-05-19T13:/);
    expect(evidence?.details.window).toEqual({
      start: '2015-05-19T13:00:00.000Z',
      end: '2015-05-19T14:00:00.000Z',
    });

    // Read-only: not one byte of the data dir changed, no state file appeared.
    expect(await snapshot(dir)).toEqual(before);
  });

  it('prints readable tables without --json', async () => {
    const cli = await run('backtest', '--config', 'high-volume-50.json', ...RANGE);
    expect(cli.error).toBeUndefined();
    expect(cli.out).toMatch(/current\s+\d+\s+10000\s+1\s/);
    expect(cli.out).toMatch(
      /newly flagged: 1\n.*\n\s+130\.237\.218\.86\s+high_volume 75>50\s+2015-05-19T13:\d\dZ\s+0/,
    );
  });

  it('answers the same through a running appliance, which it leaves unchanged', async () => {
    const app = await startTestAppliance({}, dir);
    try {
      const stateBefore = JSON.stringify(app.appliance.parts.state.data);
      const cli = await run('backtest', '--config', 'high-volume-50.json', ...RANGE, '--json');
      expect(cli.error).toBeUndefined();
      const result = JSON.parse(cli.out) as BacktestResult;
      expect(result.diff.newlyFlagged.map((e) => e.ip)).toEqual(['130.237.218.86']);
      expect(JSON.stringify(app.appliance.parts.state.data)).toBe(stateBefore);
      // A bad candidate gets the same words as without a running appliance.
      await writeFile(path.join(dir, 'bad.json'), '{"detection":{"thresholds":{"high_volume":-5}}}');
      expect((await run('backtest', '--config', 'bad.json', ...RANGE)).error?.message).toMatch(
        /^--config: invalid settings: detection\.thresholds\.high_volume/,
      );
    } finally {
      await app.stop();
    }
  });

  it('names the bad field or flag and the expected form', async () => {
    await writeFile(path.join(dir, 'bad.json'), '{"detection":{"thresholds":{"high_volume":-5}}}');
    await writeFile(path.join(dir, 'unknown.json'), '{"detection":{"treshold":{}}}');
    await writeFile(path.join(dir, 'broken.json'), '{"detection":');
    const message = async (...args: string[]) => (await run('backtest', ...args)).error?.message ?? '';
    expect(await message('--config', 'bad.json', ...RANGE)).toMatch(/detection\.thresholds\.high_volume/);
    expect(await message('--config', 'unknown.json', ...RANGE)).toMatch(/treshold/);
    expect(await message('--config', 'broken.json', ...RANGE)).toMatch(
      /--config: .*broken\.json is not JSON/,
    );
    expect(await message('--config', 'missing.json', ...RANGE)).toMatch(/--config: cannot read/);
    expect(await message(...RANGE)).toMatch(/--config FILE .* is required/);
    expect(await message('--config', 'bad.json')).toMatch(/--since is required/);
    expect(await message('--config', 'high-volume-50.json', '--since', 'yesterday')).toMatch(
      /--since expects an ISO 8601 time/,
    );
  });
});

describe('configFlags', () => {
  it('tells the config file (before backtest) from the candidate settings (after it)', () => {
    expect(
      configFlags(['node', 'ipwarden', '--config', 'ipw.json', 'backtest', '--config', 'cand.json']),
    ).toEqual({
      global: 'ipw.json',
      candidate: 'cand.json',
    });
    expect(configFlags(['node', 'ipwarden', 'backtest', '--config=cand.json'])).toEqual({
      candidate: 'cand.json',
    });
  });
});
