import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  renameRetrying,
  type VectorWritable,
  writeAll,
  writeChunksAtomic,
} from '../../../server/store/atomic-file.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

/** 3,000 chunks of 0–9 bytes: more than one writev(2) takes. */
const manyChunks = () => Array.from({ length: 3000 }, (_, i) => Buffer.from(String(i % 10).repeat(i % 10)));

describe('writeChunksAtomic', () => {
  it('replaces the file with the chunks, in order, more of them than one writev takes, and leaves no temp file', async () => {
    const file = path.join(dir, 'state.json');
    await writeFile(file, 'old');
    const chunks = manyChunks();
    await writeChunksAtomic(file, chunks);
    expect(await readFile(file)).toEqual(Buffer.concat(chunks));
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('fails with the fs error when the temp file cannot be made, and writes nothing', async () => {
    await expect(
      writeChunksAtomic(path.join(dir, 'missing', 'state.json'), [Buffer.from('new')]),
    ).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes the temp file when the rename fails, and leaves what was there', async () => {
    const target = path.join(dir, 'state.json');
    await mkdir(target);
    await writeFile(path.join(target, 'inside'), 'kept');
    await expect(writeChunksAtomic(target, [Buffer.from('new')])).rejects.toThrow(/EISDIR|ENOTDIR|ENOTEMPTY/);
    expect(await readdir(dir)).toEqual(['state.json']);
    expect(await readFile(path.join(target, 'inside'), 'utf8')).toBe('kept');
  });
});

describe('writeAll', () => {
  it('resumes after short writes, inside a chunk or between chunks, and writes every byte once', async () => {
    const written: Buffer[] = [];
    let call = 0;
    const handle: VectorWritable = {
      async writev(buffers) {
        // Each call takes at most 1–13 bytes, as a disk short of space or a signal may leave it.
        let room = (call++ % 13) + 1;
        let bytesWritten = 0;
        for (const b of buffers) {
          const part = Buffer.from(b).subarray(0, room);
          written.push(part);
          room -= part.length;
          bytesWritten += part.length;
          if (room === 0) break;
        }
        return { bytesWritten };
      },
    };
    const chunks = manyChunks();
    await writeAll(handle, chunks);
    expect(Buffer.concat(written)).toEqual(Buffer.concat(chunks));
  });

  it('fails instead of spinning when a write takes nothing', async () => {
    const handle: VectorWritable = { writev: async () => ({ bytesWritten: 0 }) };
    await expect(writeAll(handle, [Buffer.from('x')])).rejects.toThrow('writev wrote nothing');
  });
});

describe('renameRetrying', () => {
  const failing = (codes: string[]) => {
    const calls: string[] = [];
    const attempt = async (from: string, to: string) => {
      calls.push(`${from}>${to}`);
      const code = codes.shift();
      if (code) throw Object.assign(new Error(code), { code });
    };
    return { calls, attempt };
  };

  it('tries again while Windows says another process holds the file, then renames', async () => {
    const { calls, attempt } = failing(['EPERM', 'EBUSY', 'EACCES']);
    await renameRetrying('a', 'b', attempt, 0);
    expect(calls).toEqual(['a>b', 'a>b', 'a>b', 'a>b']);
  });

  it('gives up after 10 tries, and at once on any other error', async () => {
    const stuck = failing(Array(20).fill('EPERM'));
    await expect(renameRetrying('a', 'b', stuck.attempt, 0)).rejects.toThrow('EPERM');
    expect(stuck.calls).toHaveLength(10);
    const missing = failing(['ENOENT']);
    await expect(renameRetrying('a', 'b', missing.attempt, 0)).rejects.toThrow('ENOENT');
    expect(missing.calls).toHaveLength(1);
  });
});
