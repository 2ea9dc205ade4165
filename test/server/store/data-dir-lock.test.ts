import { spawn, spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../../server/store/index.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

const lockFile = () => path.join(dir, 'ipwarden.lock');

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid as number;
}

describe('lockDataDir', () => {
  it('holds the data dir for one holder at a time, naming it to the next, until released', async () => {
    const lock = await lockDataDir(dir, 'start');
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({
      pid: process.pid,
      purpose: 'start',
    });
    const refused = await lockDataDir(dir, 'cli block').then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as Error).message).toBe(
      `the data dir ${dir} is in use by ipwarden (pid ${process.pid}, since ${lock.holder.since})`,
    );
    await lock.release();
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    await (await lockDataDir(dir, 'cli block')).release();
  });

  it('refuses while another live process holds it, and leaves its lock alone', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      const theirs = JSON.stringify({ pid: child.pid, purpose: 'cli monitor', since: 'then', token: 't' });
      await writeFile(lockFile(), theirs);
      await expect(lockDataDir(dir, 'start')).rejects.toThrow(
        `is in use by ipwarden cli monitor (pid ${child.pid}, since then)`,
      );
      expect(await readFile(lockFile(), 'utf8')).toBe(theirs);
    } finally {
      child.kill();
    }
  });

  it('takes over the lock of a process that is gone (kill -9) or a lock file that cannot be read', async () => {
    for (const stale of [
      JSON.stringify({ pid: deadPid(), purpose: 'start', since: 'then', token: 'old' }),
      '{"pid": 12',
      '',
    ]) {
      await writeFile(lockFile(), stale);
      const lock = await lockDataDir(dir, 'start');
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({
        pid: process.pid,
        token: lock.holder.token,
      });
      await lock.release();
      expect(await readdir(dir)).toEqual([]);
    }
  });

  it('does not remove a lock that another holder took over since', async () => {
    const lock = await lockDataDir(dir, 'start');
    const theirs = JSON.stringify({ pid: deadPid(), purpose: 'start', since: 'then', token: 'theirs' });
    await writeFile(lockFile(), theirs);
    await lock.release();
    expect(await readFile(lockFile(), 'utf8')).toBe(theirs);
  });

  it('is released when its process exits without releasing it', async () => {
    const script = `
      const { lockDataDir } = await import(${JSON.stringify(path.resolve('server/store/data-dir-lock.ts'))});
      await lockDataDir(${JSON.stringify(dir)}, 'start');
      process.exit(0);`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(await readdir(dir)).toEqual([]);
  });
});
