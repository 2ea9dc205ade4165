import { describe, expect, it } from 'vitest';
import { BatchWrites } from '../../../server/import/batch-writes.js';
import { ImportError } from '../../../server/import/import-errors.js';
import type { ImportIndex } from '../../../server/import/import-index.js';
import type { RequestLog } from '../../../server/store/index.js';

/** A request log whose flushes the test settles by hand, in any order, and an index that records saves. */
function fakes() {
  const stats = { appended: 0, written: 0, failed: 0, pendingRecords: 0, writeErrors: 0, skippedLines: 0 };
  const flushes: { settle: (ok: boolean) => void; records: number }[] = [];
  const requestLog = {
    dir: '/fake/requests',
    stats: () => ({ ...stats }),
    flush: () =>
      new Promise<void>((resolve) => {
        const records = stats.appended - stats.written - stats.failed;
        flushes.push({
          records,
          settle: (ok) => {
            if (ok) stats.written += records;
            else stats.failed += records;
            resolve();
          },
        });
      }),
  } as unknown as RequestLog;
  const saved: string[] = [];
  let batch = 0;
  const index = {
    takeUnsaved: () => new Map([['2024-01-02', [`ids-${++batch}`]]]),
    save: async (ids: Map<string, string[]>) => {
      saved.push(...(ids.get('2024-01-02') ?? []));
    },
  } as unknown as ImportIndex;
  const append = (n: number) => {
    stats.appended += n;
  };
  return { requestLog, index, flushes, saved, append };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Commits one batch of 10 records per entry of `linesRead`, each ending at that line. */
async function twoBatches(linesRead: [number, number]) {
  const f = fakes();
  const writes = new BatchWrites(f.requestLog, f.index);
  for (const line of linesRead) {
    f.append(10);
    await writes.commit(line);
  }
  return { f, writes };
}

describe('BatchWrites', () => {
  it('saves each batch’s ids only after its records are written and the batch before it is saved', async () => {
    const { f, writes } = await twoBatches([10, 20]);
    expect(f.flushes).toHaveLength(2);
    f.flushes[1]?.settle(true); // the second flush reports first
    await tick();
    expect(f.saved).toEqual([]); // batch 2 waits for batch 1
    f.flushes[0]?.settle(true);
    await writes.done();
    expect(f.saved).toEqual(['ids-1', 'ids-2']);
  });

  it('saves nothing more after a batch that could not be written, and says where it stopped', async () => {
    const { f, writes } = await twoBatches([1000, 2000]);
    f.flushes[0]?.settle(false);
    f.flushes[1]?.settle(true);
    const failure = await writes.done().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ImportError);
    expect((failure as Error).message).toMatch(/could not be written; stopped near line 1000/);
    expect(f.saved).toEqual([]);
  });

  it('lets the parser run ahead by at most three batches', async () => {
    const f = fakes();
    const writes = new BatchWrites(f.requestLog, f.index);
    let third = false;
    for (let i = 1; i <= 2; i++) {
      f.append(1);
      await writes.commit(i);
    }
    f.append(1);
    const waiting = writes.commit(3).then(() => {
      third = true;
    });
    await tick();
    expect(third).toBe(false);
    f.flushes[0]?.settle(true);
    await waiting;
    expect(third).toBe(true);
    for (const flush of f.flushes.slice(1)) flush.settle(true);
    await writes.done();
    expect(f.saved).toEqual(['ids-1', 'ids-2', 'ids-3']);
  });
});
