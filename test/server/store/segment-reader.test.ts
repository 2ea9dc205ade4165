import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type LineBatch,
  type LineReaderOptions,
  readLinesNewestFirst,
  readLinesOldestFirst,
  type SegmentLine,
} from '../../../server/store/segment-reader.js';
import { makeTempDir } from './request-log-fixtures.js';

let root: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ root, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

async function collect(batches: AsyncIterable<LineBatch>): Promise<SegmentLine[]> {
  const lines: SegmentLine[] = [];
  for await (const batch of batches) lines.push(...batch.lines);
  return lines;
}

async function countLines(batches: AsyncIterable<LineBatch>): Promise<number> {
  let count = 0;
  for await (const batch of batches) count += batch.lineCount;
  return count;
}

/** The lines of `text` with their byte offsets, as a reader should report them oldest-first. */
function expectedLines(text: string): SegmentLine[] {
  const lines: SegmentLine[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    if (line !== '') lines.push({ offset, text: line });
    offset += Buffer.byteLength(line) + 1;
  }
  return lines;
}

async function segment(text: string): Promise<string> {
  const file = path.join(root, '2024-03-01.ndjson');
  await writeFile(file, text);
  return file;
}

describe('segment readers', () => {
  it('decodes a 4-byte character straddling the 64 KiB boundary (default chunk size)', async () => {
    const long = `a${'😀'.repeat(20_000)}`;
    const text = `${long}\n{"after":"€"}\n`;
    const file = await segment(text);
    // The first chunk read from the end starts inside the emoji run, mid-character.
    const boundary = Buffer.byteLength(text) - 64 * 1024;
    expect(boundary > 1 && boundary < 80_001 && (boundary - 1) % 4 !== 0).toBe(true);
    const newest = await collect(readLinesNewestFirst(file));
    expect(newest.map((line) => line.text)).toEqual(['{"after":"€"}', long]);
    const oldest = await collect(readLinesOldestFirst(file, { chunkBytes: 65_535 }));
    expect(oldest).toEqual(expectedLines(text));
  });

  it('yields the same lines and offsets for every chunk size, newest-first and oldest-first', async () => {
    const text = ['ascii', 'é€😀 mixed ü', '', '中文字符', 'x'.repeat(40), '🦀🦀🦀', 'end'].join('\n');
    const file = await segment(`${text}\n`);
    const expected = expectedLines(text);
    for (let chunkBytes = 1; chunkBytes <= 24; chunkBytes++) {
      const options: LineReaderOptions = { chunkBytes };
      expect(await collect(readLinesOldestFirst(file, options))).toEqual(expected);
      expect(await collect(readLinesNewestFirst(file, options))).toEqual([...expected].reverse());
    }
  });

  it('yields a last line that lacks its newline (a torn write) so the caller can count it', async () => {
    const file = await segment('{"a":1}\n{"b":2}\n{"c":');
    expect((await collect(readLinesNewestFirst(file))).map((line) => line.text)).toEqual([
      '{"c":',
      '{"b":2}',
      '{"a":1}',
    ]);
    expect((await collect(readLinesOldestFirst(file))).at(-1)).toEqual({ offset: 16, text: '{"c":' });
  });

  it('reads newest-first only the lines before `end`', async () => {
    const file = await segment('one\ntwo\nthree\n');
    expect(await collect(readLinesNewestFirst(file, { end: 8, chunkBytes: 3 }))).toEqual([
      { offset: 4, text: 'two' },
      { offset: 0, text: 'one' },
    ]);
    expect(await collect(readLinesOldestFirst(file, { start: 4, end: 8 }))).toEqual([
      { offset: 4, text: 'two' },
    ]);
  });

  it('reports lines longer than maxLineBytes as null instead of buffering them', async () => {
    const text = `short\n${'y'.repeat(100)}\nlast\n`;
    const file = await segment(text);
    const options = { chunkBytes: 8, maxLineBytes: 32 };
    expect(await collect(readLinesNewestFirst(file, options))).toEqual([
      { offset: 107, text: 'last' },
      { offset: 6, text: null },
      { offset: 0, text: 'short' },
    ]);
    expect(await collect(readLinesOldestFirst(file, options))).toEqual([
      { offset: 0, text: 'short' },
      { offset: 6, text: null },
      { offset: 107, text: 'last' },
    ]);
  });

  it('decodes only the lines containing the needle, for every chunk size, but counts them all', async () => {
    const text = [
      '{"ip":"10.0.0.1","p":"é"}',
      '{"ip":"10.0.0.10"}',
      '',
      '{"x":"😀","ip":"10.0.0.1"}',
      'torn "ip":"10.0.0.1',
    ].join('\n');
    const file = await segment(text);
    const needle = Buffer.from('"ip":"10.0.0.1"');
    const expected = expectedLines(text).filter((line) => line.text?.includes('"ip":"10.0.0.1"'));
    expect(expected).toHaveLength(2);
    for (let chunkBytes = 1; chunkBytes <= 30; chunkBytes++) {
      const options: LineReaderOptions = { chunkBytes, needle };
      expect(await collect(readLinesOldestFirst(file, options))).toEqual(expected);
      expect(await collect(readLinesNewestFirst(file, options))).toEqual([...expected].reverse());
      expect(await countLines(readLinesNewestFirst(file, options))).toBe(4);
      expect(await countLines(readLinesOldestFirst(file, options))).toBe(4);
    }
  });

  it('yields nothing for a missing segment (deleted by retention mid-query)', async () => {
    const missing = path.join(root, '1999-01-01.ndjson');
    expect(await collect(readLinesNewestFirst(missing))).toEqual([]);
    expect(await collect(readLinesOldestFirst(missing))).toEqual([]);
  });
});
