import type { FileHandle } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { writeChunksAtomic } from '../../../server/store/atomic-file.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** What reached the file system, in order: `datasync <file>`, `rename`, `sync <dir>`, … */
const events: string[] = [];
vi.mock('node:fs/promises', async (original) => {
  const real = (await original()) as typeof import('node:fs/promises');
  return {
    ...real,
    open: async (file: string, flags: string) => {
      const handle = await real.open(file, flags);
      const name = path.basename(file);
      return new Proxy(handle, {
        get(target, key) {
          const value = Reflect.get(target, key) as unknown;
          if (typeof value !== 'function') return value;
          if (key === 'datasync' || key === 'sync') events.push(`${String(key)} ${name}`);
          return (value as (...args: unknown[]) => unknown).bind(target);
        },
      }) as FileHandle;
    },
    rename: async (from: string, to: string) => {
      events.push(`rename ${path.basename(from)} ${path.basename(to)}`);
      return real.rename(from, to);
    },
  };
});

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
  events.length = 0;
});
afterEach(() => cleanup());

it('flushes the new file to the disk before the rename, and the directory after it (a power cut keeps the change)', async () => {
  const file = path.join(dir, 'state.json');
  await writeChunksAtomic(file, [Buffer.from('{}\n')]);
  expect(await readFile(file, 'utf8')).toBe('{}\n');
  const expected = ['datasync .state.json.tmp', 'rename .state.json.tmp state.json'];
  if (process.platform !== 'win32') expected.push(`sync ${path.basename(dir)}`);
  expect(events).toEqual(expected);
});
