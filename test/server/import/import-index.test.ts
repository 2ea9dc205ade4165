import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImportIndex } from '../../../server/import/import-index.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

const DAY = '2026-01-04';
const open = () => new ImportIndex(dir, async () => true);

describe('ImportIndex', () => {
  it('remembers imported ids across runs, one file a day', async () => {
    const index = open();
    await index.load(DAY);
    expect(index.seen(DAY, 'id-a')).toBe(false);
    expect(index.seen(DAY, 'id-a')).toBe(true);
    await index.commit();
    const again = open();
    await again.load(DAY);
    expect(again.seen(DAY, 'id-a')).toBe(true);
    expect(await readFile(path.join(dir, `${DAY}.ids`), 'utf8')).toBe('id-a\n');
  });

  it('starts a fresh line after a file torn by a crash, so no later id is glued to the torn one', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${DAY}.ids`), 'id-aaaa\nid-bb');
    const index = open();
    await index.load(DAY);
    expect(index.seen(DAY, 'id-cccc')).toBe(false);
    await index.commit();
    expect(await readFile(path.join(dir, `${DAY}.ids`), 'utf8')).toBe('id-aaaa\nid-bb\nid-cccc\n');
    const again = open();
    await again.load(DAY);
    expect(again.seen(DAY, 'id-cccc')).toBe(true);
    expect(again.seen(DAY, 'id-aaaa')).toBe(true);
  });
});
