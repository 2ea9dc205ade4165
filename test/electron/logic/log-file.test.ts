import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLogFile } from '../../../electron/logic/log-file.js';
import { makeTempDir } from '../../server/helpers/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

const write = (stream: NodeJS.WritableStream, text: string) =>
  new Promise<void>((resolve) => stream.end(text, () => resolve()));

describe('openLogFile', () => {
  it('appends to the log in a new owner-only folder, and moves a log over the limit to .1 first', async () => {
    const file = path.join(dir, 'data', 'ipwarden.log');
    await write(await openLogFile(file, 20), 'first start\n');
    await write(await openLogFile(file, 20), 'second start\n');
    expect(await readFile(file, 'utf8')).toBe('first start\nsecond start\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    // Now 25 bytes, over the limit of 20: the next start begins a new file.
    await write(await openLogFile(file, 20), 'third start\n');
    expect(await readFile(file, 'utf8')).toBe('third start\n');
    expect(await readFile(`${file}.1`, 'utf8')).toBe('first start\nsecond start\n');
  });

  it('fails naming the file when it cannot be written', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    await writeFile(blocker, 'x');
    await expect(openLogFile(path.join(blocker, 'ipwarden.log'))).rejects.toThrow('not-a-folder');
  });
});
