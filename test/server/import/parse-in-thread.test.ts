import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ImportError } from '../../../server/import/import-errors.js';
import { lineSource } from '../../../server/import/line-source.js';
import { parseInThread } from '../../../server/import/parse-in-thread.js';
import type { ParsedBatch } from '../../../server/import/parse-stage.js';

const line = (n: number) =>
  `203.0.113.${n % 250} - - [02/Jan/2024:00:${String(n % 60).padStart(2, '0')}:00 +0000] "GET /${n} HTTP/1.1" 200 1 "-" "ua"\n`;

/** A source handing out `text` in chunks of `size` bytes, remembering whether it was closed early. */
function chunked(text: string, size: number) {
  const bytes = Buffer.from(text);
  const state = { closedEarly: false, handedOut: 0 };
  async function* chunks() {
    try {
      for (let at = 0; at < bytes.length; at += size) {
        state.handedOut++;
        yield bytes.subarray(at, at + size);
      }
    } finally {
      if (state.handedOut * size < bytes.length) state.closedEarly = true;
    }
  }
  return { source: { chunks: chunks(), bytesRead: () => 0, totalBytes: bytes.length }, state };
}

describe('parseInThread', () => {
  it('parses in a worker thread, in order, whatever the chunk size, the last batch marked', async () => {
    const text = Array.from({ length: 300 }, (_, i) => line(i)).join('');
    for (const size of [7, 1000, text.length]) {
      const batches: ParsedBatch[] = [];
      await parseInThread(chunked(text, size).source, 'auto', async (batch: ParsedBatch) => {
        batches.push(batch);
      });
      const paths = batches.flatMap((b) => b.records.path);
      expect(paths).toEqual(Array.from({ length: 300 }, (_, i) => `/${i}`));
      expect(batches.at(-1)).toMatchObject({ last: true, format: 'combined', linesRead: 300, rejected: 0 });
      expect(batches.filter((b) => b.last)).toHaveLength(1);
    }
  });

  it('rejects with an ImportError when the format cannot be told, closing the source', async () => {
    const { source, state } = chunked('hello\n'.repeat(10_000), 64);
    await expect(parseInThread(source, 'auto', async () => undefined)).rejects.toThrow(ImportError);
    expect(state.closedEarly).toBe(true);
  });

  it('stops reading when the consumer fails, and passes on its error', async () => {
    const { source, state } = chunked(Array.from({ length: 2000 }, (_, i) => line(i)).join(''), 1024);
    const failure = new Error('disk full');
    await expect(
      parseInThread(source, 'combined', async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(state.closedEarly).toBe(true);
  });

  it('hands over nothing more once the source has failed, and only then rejects', async () => {
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => line(i)).join(''));
    const failure = new Error('upload cut off');
    async function* chunks() {
      for (let at = 0; at < 64 * 1024; at += 4096) yield bytes.subarray(at, at + 4096);
      throw failure;
    }
    let handling = false;
    let calls = 0;
    const done = parseInThread(
      { chunks: chunks(), bytesRead: () => 0, totalBytes: undefined },
      'combined',
      async () => {
        calls++;
        handling = true;
        await new Promise((resolve) => setTimeout(resolve, 5)); // slow: the source fails meanwhile
        handling = false;
      },
    );
    await expect(done).rejects.toBe(failure);
    expect(handling).toBe(false); // rejected only once the handler had returned
    const callsAtRejection = calls;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toBe(callsAtRejection); // and nothing handed over after it
  });

  it('rejects, naming it, a format the parser thread does not know', async () => {
    const { source } = chunked(line(1), 64);
    await expect(parseInThread(source, 'apache' as 'auto', async () => undefined)).rejects.toThrow(
      /workerData.format must be auto or one of .*combined.*not "apache"/,
    );
  });

  it('passes on the source’s own failure (corrupt gzip)', async () => {
    const corrupt = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(64, 7)]);
    const source = lineSource(Readable.from([corrupt]), corrupt.length);
    await expect(parseInThread(source, 'auto', async () => undefined)).rejects.toThrow(
      /header|check|invalid/i,
    );
  });
});
