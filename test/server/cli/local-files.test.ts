import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reachDataDir, readLocalState } from '../../../server/cli/local-files.js';
import { createRequestLog } from '../../../server/store/index.js';
import { startTestAppliance } from '../../helpers/appliance.js';
import { runCli } from '../../helpers/cli.js';
import { record } from '../../helpers/records.js';

const DAY = 86_400_000;
let dir: string;
let holder: ChildProcess | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-local-'));
});
afterEach(async () => {
  holder?.kill();
  holder = undefined;
  await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => runCli(dir, ...args);

/** A live process that holds the data dir lock as another ipwarden would, until killed or `releaseAfterMs`. */
async function holdLock(releaseAfterMs?: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  holder = child;
  const pid = child.pid as number;
  const lockFile = path.join(dir, 'ipwarden.lock');
  await writeFile(
    lockFile,
    JSON.stringify({ pid, purpose: 'start', since: '2026-12-07T00:00:00Z', token: 'x' }),
  );
  if (releaseAfterMs !== undefined) setTimeout(() => void rm(lockFile, { force: true }), releaseAfterMs);
  return pid;
}

describe('commands on the files lock the data dir', () => {
  it('waits while another process holds the data dir (an appliance starting), then does its work', async () => {
    await holdLock(300);
    const started = Date.now();
    expect((await run('block', '192.0.2.1', '--reason', 'after the wait')).out).toBe('blocked 192.0.2.1\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as { blocks: unknown[] };
    expect(state.blocks).toHaveLength(1);
    expect(await readdir(dir)).not.toContain('ipwarden.lock'); // released when done
  });

  it('gives up naming the holder when it keeps the data dir, and changes nothing', async () => {
    const pid = await holdLock();
    const err: string[] = [];
    const cli = { out: () => undefined, err: (t: string) => err.push(t), env: {}, cwd: dir };
    await expect(reachDataDir(cli, dir, 'cli block', 300)).rejects.toThrow(
      `the data dir ${dir} is in use by ipwarden (pid ${pid}, since 2026-12-07T00:00:00Z); try again when it has started or finished`,
    );
    expect(await readdir(dir)).toEqual(['ipwarden.lock']);
    expect(err).toEqual([
      `ipwarden: waiting: the data dir ${dir} is in use by ipwarden (pid ${pid}, since 2026-12-07T00:00:00Z)\n`,
    ]);
  });
});

describe('a forgotten or mistyped --data-dir', () => {
  it('is refused by commands that only read or remove, which create nothing', async () => {
    const missing = path.join(dir, 'nope');
    const expected = `no data dir at ${missing}: give the one ipwarden uses with --data-dir (or IPWARDEN_DATA_DIR)`;
    for (const args of [
      ['blocks'],
      ['unblock', '192.0.2.1'],
      ['disallow', '192.0.2.1'],
      ['export', 'blocks'],
      ['export', 'requests'],
      ['monitor', '--task', 'cleanup'],
      ['monitor'],
    ])
      expect((await runCli(missing, ...args)).error?.message, args.join(' ')).toBe(expected);
    expect(await readdir(dir)).toEqual([]);
  });

  it('is noticed by a change made on the files: the command says ipwarden is not running there', async () => {
    const result = await run('block', '192.0.2.1');
    expect(result.out).toBe('blocked 192.0.2.1\n');
    expect(result.err).toBe(
      `ipwarden is not running on ${dir}: the change is saved in its state file and applies when ipwarden starts there\n`,
    );
    expect((await run('blocks')).err).toBe('');
  });
});

describe('ipwarden monitor on the files', () => {
  it('applies the settings saved in the UI: a 365-day retention keeps a 100-day-old segment', async () => {
    const app = await startTestAppliance({}, dir);
    try {
      const { settings } = (await (await app.admin('/api/settings')).json()) as {
        settings: { detection: Record<string, unknown> };
      };
      const put = await app.admin('/api/settings', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...settings, detection: { ...settings.detection, retention: '365d' } }),
      });
      expect(put.status).toBe(200);
    } finally {
      await app.stop();
    }
    const log = await createRequestLog({ dir: path.join(dir, 'requests') });
    log.append(record('198.51.100.20', Date.now() - 100 * DAY));
    await log.close();

    const dry = await run('monitor', '--task', 'retention', '--dry-run');
    expect(dry.error).toBeUndefined();
    expect(dry.out).toContain('0 segment(s) would be deleted');
  });
});

describe('read-only commands', () => {
  it('export names a corrupt state file and leaves it where it is', async () => {
    await writeFile(path.join(dir, 'state.json'), '{"version": 1, "blocks": [');
    const result = await run('export', 'blocks');
    expect(result.error?.message).toMatch(
      /state\.json is corrupt \(not valid JSON: .*\); start ipwarden to move it aside/,
    );
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('read the empty state from a data dir without one, and create nothing', async () => {
    const state = await readLocalState(dir);
    expect(state.data.blocks).toEqual([]);
    await expect(state.update(() => undefined)).rejects.toThrow('opened read-only');
    expect(await readdir(dir)).toEqual([]);
  });
});
