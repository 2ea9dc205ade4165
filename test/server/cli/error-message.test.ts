import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeError } from '../../../server/cli/error-message.js';
import { DataDirLockedError, lockDataDir, openStateStore } from '../../../server/store/index.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

/** The error `promise` rejects with. */
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: NodeJS.ErrnoException) => err,
  );

describe('describeError', () => {
  it('says a data dir that is a file is not a directory, without a stack trace', async () => {
    const file = path.join(dir, 'afile');
    await writeFile(file, 'x');
    expect(describeError(await errorOf(mkdir(file, { recursive: true })))).toBe(
      `${file} is a file, not a directory: choose a data dir with --data-dir`,
    );
    const below = path.join(file, 'data');
    expect(describeError(await errorOf(mkdir(below, { recursive: true })))).toBe(
      `cannot make ${below}: a folder on its path is a file; choose a data dir with --data-dir`,
    );
  });

  it('names the process holding the data dir, without a stack trace', async () => {
    const lock = await lockDataDir(dir, 'start');
    try {
      const err = await errorOf(lockDataDir(dir, 'start'));
      expect(err).toBeInstanceOf(DataDirLockedError);
      expect(describeError(err)).toBe(err.message);
      expect(describeError(err)).not.toContain('\n');
    } finally {
      await lock.release();
    }
  });

  it('names the file and what to do for a file system error, without a stack trace', async () => {
    const state = path.join(dir, 'state.json');
    await mkdir(state);
    const isDir = await errorOf(openStateStore({ dataDir: dir }));
    expect(describeError(isDir)).toBe(
      `EISDIR: illegal operation on a directory, read (${state}): a directory stands where a file belongs; move it away`,
    );
    const denied = Object.assign(new Error(`EACCES: permission denied, open '${state}'`), {
      code: 'EACCES',
      syscall: 'open',
      path: state,
    });
    expect(describeError(denied)).toBe(
      `EACCES: permission denied, open '${state}': this user may not do that there; check the permissions of the data dir (--data-dir) and the file`,
    );
  });

  it('gives the stack of an error nobody anticipated', () => {
    const err = new TypeError('x is undefined');
    expect(describeError(err)).toBe(err.stack);
  });
});
