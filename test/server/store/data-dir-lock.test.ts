import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir, processRuns } from '../../../server/store/index.js';
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

  it('takes over a lock whose pid now belongs to another process (after a reboot, in a container)', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      const reused = {
        pid: child.pid,
        purpose: 'start',
        since: 'then',
        token: 'old',
        started: 'another-boot:1',
      };
      await writeFile(lockFile(), JSON.stringify(reused));
      const lock = await lockDataDir(dir, 'start');
      expect(lock.holder.started).toMatch(/^[\w-]+:\d+$/);
      await lock.release();
    } finally {
      child.kill();
    }
  });

  it.skipIf(!existsSync('/proc/self/stat'))(
    'takes over the lock of a process killed but not reaped (a zombie)',
    async () => {
      // `sleep 61` replaces the shell and never reaps its child `sleep 60`, killed below: a zombie.
      const parent = spawn('sh', ['-c', 'sleep 60 & echo $!; exec sleep 61'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      try {
        const pid = Number(
          await new Promise<string>((resolve) =>
            parent.stdout.once('data', (b: Buffer) => resolve(b.toString())),
          ),
        );
        process.kill(pid, 'SIGKILL');
        // The kill lands when the kernel next runs the child: seconds on a loaded machine, not poll's default 1 s.
        await expect
          .poll(() => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0], { timeout: 15_000 })
          .toBe('Z');
        expect(processRuns(pid)).toBe(false);
        await writeFile(
          lockFile(),
          JSON.stringify({ pid, purpose: 'start', since: 'then', token: 'zombie' }),
        );
        await (await lockDataDir(dir, 'start')).release();
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );

  it('lets exactly one of several processes take over a stale lock at once', async () => {
    await writeFile(
      lockFile(),
      JSON.stringify({ pid: deadPid(), purpose: 'start', since: 'then', token: 'dead' }),
    );
    const at = Date.now() + 2_500;
    const script = `
      const { lockDataDir } = await import(${JSON.stringify(path.resolve('server/store/data-dir-lock.ts'))});
      while (Date.now() < ${at}) {}
      try { await lockDataDir(${JSON.stringify(dir)}, 'race'); console.log('GOT'); await new Promise((r) => setTimeout(r, 1000)); }
      catch (err) { console.log(err.name); }`;
    const runs = Array.from(
      { length: 5 },
      () =>
        new Promise<string>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
          });
          child.on('exit', () => resolve(out.trim()));
        }),
    );
    const outcomes = (await Promise.all(runs)).sort();
    expect(outcomes).toEqual([
      'DataDirLockedError',
      'DataDirLockedError',
      'DataDirLockedError',
      'DataDirLockedError',
      'GOT',
    ]);
  });

  it('waits for a holder it is told to wait for, and refuses one it is not', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await writeFile(
        lockFile(),
        JSON.stringify({ pid: child.pid, purpose: 'cli import', since: 'then', token: 't' }),
      );
      const waited: string[] = [];
      setTimeout(() => child.kill(), 300);
      const lock = await lockDataDir(dir, 'start', {
        waitMs: 5_000,
        waitFor: (h) => h.purpose !== 'start',
        onWait: (h) => waited.push(h.purpose),
      });
      expect(waited).toEqual(['cli import']);
      await lock.release();
    } finally {
      child.kill();
    }
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await writeFile(
        lockFile(),
        JSON.stringify({ pid: other.pid, purpose: 'start', since: 'then', token: 'u' }),
      );
      const started = Date.now();
      await expect(
        lockDataDir(dir, 'start', { waitMs: 5_000, waitFor: (h) => h.purpose !== 'start' }),
      ).rejects.toThrow('is in use by ipwarden (pid');
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      other.kill();
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
