import { existsSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AccessRecord, parseAccessRecord } from '../../../server/store/access-record.js';
import { RequestLogWriter, type RequestLogWriterOptions } from '../../../server/store/request-log-writer.js';
import { makeRecord, makeTempDir, recordsOnDay } from './request-log-fixtures.js';

/** When set, the next segment append writes only this many bytes, then fails like a full disk. */
const disk = vi.hoisted(() => ({ failAfterBytes: null as number | null }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof actual.open>): Promise<FileHandle> => {
    const handle = await actual.open(...args);
    return new Proxy(handle, {
      get(target, property) {
        if (property === 'appendFile' && disk.failAfterBytes !== null) {
          const limit = disk.failAfterBytes;
          disk.failAfterBytes = null;
          return async (data: Buffer) => {
            await target.appendFile(data.subarray(0, limit));
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  return { ...actual, open };
});

let root: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ root, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

/**
 * A writer on `root` that flushes only when asked (or at 1,000 records), reporting errors to
 * `onError`; `options` overrides the rest.
 */
function newWriter(
  onError: (err: Error) => void = () => {},
  options: Partial<RequestLogWriterOptions> = {},
): RequestLogWriter {
  return new RequestLogWriter({
    dir: root,
    flushIntervalMs: 60_000,
    maxBatch: 1000,
    maxPendingRecords: 1000,
    onError,
    ...options,
  });
}

/** Every parseable record in `day`'s segment, in file order. */
async function segmentRecords(day: string): Promise<AccessRecord[]> {
  const text = await readFile(path.join(root, `${day}.ndjson`), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map(parseAccessRecord)
    .filter((record) => record !== null);
}

const HOUR = 3_600_000;

describe('RequestLogWriter', () => {
  it('after a write torn by a full disk, retries only the lines that did not make it', async () => {
    const errors: Error[] = [];
    const writer = newWriter((err) => errors.push(err));
    const records = recordsOnDay('2024-03-01', 4);
    for (const record of records) writer.append(record);
    const firstTwoLinesAndAHalf =
      Buffer.byteLength(`${JSON.stringify(records[0])}\n${JSON.stringify(records[1])}\n`) + 10;
    disk.failAfterBytes = firstTwoLinesAndAHalf;
    await writer.flush();
    expect(errors.map((err) => err.message)).toEqual([expect.stringContaining('ENOSPC')]);
    expect(writer.stats()).toMatchObject({ written: 2, pendingRecords: 2, writeErrors: 1 });

    await writer.flush();
    await writer.close();
    const lines = (await readFile(path.join(root, '2024-03-01.ndjson'), 'utf8')).split('\n');
    const parsed = lines.filter((line) => line !== '').map(parseAccessRecord);
    // The torn fragment stays as one unparseable line; every record is there exactly once.
    expect(parsed.filter((record) => record === null)).toHaveLength(1);
    expect(parsed.filter((record) => record !== null)).toEqual(records);
    expect(writer.stats()).toMatchObject({ appended: 4, written: 4, failed: 0, pendingRecords: 0 });
  });

  it('writes records appended during a failing write after the ones it retries, in order', async () => {
    const writer = newWriter();
    const records = recordsOnDay('2024-03-01', 6);
    for (const record of records.slice(0, 3)) writer.append(record);
    disk.failAfterBytes = Buffer.byteLength(`${JSON.stringify(records[0])}\n`);
    const failing = writer.flush();
    await new Promise(setImmediate); // the write has taken the first three and is in flight
    for (const record of records.slice(3)) writer.append(record);
    await failing;
    expect(writer.stats()).toMatchObject({ written: 1, pendingRecords: 5 });
    await writer.close();
    const lines = (await readFile(path.join(root, '2024-03-01.ndjson'), 'utf8')).split('\n');
    expect(lines.filter((line) => line !== '').map(parseAccessRecord)).toEqual(records);
  });

  it('after a write torn just before a newline, writes that record once', async () => {
    const writer = newWriter();
    const records = recordsOnDay('2024-03-01', 3);
    for (const record of records) writer.append(record);
    disk.failAfterBytes = Buffer.byteLength(JSON.stringify(records[0])); // the first line but its \n
    await writer.flush();
    expect(writer.stats()).toMatchObject({ written: 1, pendingRecords: 2 });
    await writer.close();
    const lines = (await readFile(path.join(root, '2024-03-01.ndjson'), 'utf8')).split('\n');
    expect(lines.filter((line) => line !== '').map(parseAccessRecord)).toEqual(records);
  });

  it('never throws from append: a record missing a required field is dropped, counted and reported', async () => {
    const errors: Error[] = [];
    const writer = newWriter((err) => errors.push(err));
    // An extra top-level field sends it through JSON.stringify, which does not need `event`.
    const incomplete = {
      '@timestamp': '2024-03-01T10:00:00.000Z',
      source: { ip: '203.0.113.1' },
      url: { path: '/' },
      http: { request: { method: 'GET' }, response: { status_code: 200 } },
      labels: { a: 1 },
    } as unknown as AccessRecord;
    expect(() => writer.append(incomplete)).not.toThrow();
    writer.append(recordsOnDay('2024-03-01', 1)[0] as AccessRecord);
    await writer.close();
    expect(writer.stats()).toMatchObject({ appended: 2, written: 1, failed: 1, pendingRecords: 0 });
    expect(errors.map((err) => err.message)).toEqual([expect.stringContaining('could not be serialised')]);
  });

  it('after a write torn inside lines of two hours, with another day in between, retries each line once, in order', async () => {
    const writer = newWriter();
    const at = (time: string, ip: string) => makeRecord({ at: time, ip });
    const day1 = [
      at('2024-03-01T09:58:00.000Z', '192.0.2.1'),
      at('2024-03-01T09:59:00.000Z', '192.0.2.2'),
      at('2024-03-01T10:00:00.000Z', '192.0.2.4'),
      at('2024-03-01T10:01:00.000Z', '192.0.2.5'),
    ];
    const day2 = [at('2024-03-02T00:00:00.000Z', '192.0.2.3')];
    for (const record of [day1[0], day1[1], day2[0], day1[2], day1[3]]) writer.append(record as AccessRecord);
    // The first day's write stops inside its fourth line: the second of 10:00, whose run it splits.
    disk.failAfterBytes =
      Buffer.byteLength(
        day1
          .slice(0, 3)
          .map((r) => `${JSON.stringify(r)}\n`)
          .join(''),
      ) + 20;
    await writer.flush();
    expect(writer.stats()).toMatchObject({ written: 4, pendingRecords: 1, writeErrors: 1 });
    await writer.close();
    expect(await segmentRecords('2024-03-01')).toEqual(day1);
    expect(await segmentRecords('2024-03-02')).toEqual(day2);
    expect(writer.stats()).toMatchObject({ appended: 5, written: 5, failed: 0, pendingRecords: 0 });
  });

  it('keeps the counts of records only for the hours the rollups want, and tells which lines it wrote', async () => {
    const wanted = Date.parse('2024-03-01T10:00:00.000Z');
    const told: { day: string; hours: readonly number[]; ips: string[] }[] = [];
    const writer = newWriter(undefined, {
      countsWanted: (hour) => hour === wanted,
      onWritten: (day, hours, requests) => told.push({ day, hours, ips: requests.map((r) => r.ip) }),
    });
    writer.append(makeRecord({ at: '2024-03-01T09:30:00.000Z', ip: '192.0.2.1' }));
    writer.append(makeRecord({ at: '2024-03-01T10:15:00.000Z', ip: '192.0.2.2' }));
    writer.append(makeRecord({ at: '2024-03-01T10:45:00.000Z', ip: '192.0.2.3' }));
    writer.append(makeRecord({ at: '2024-03-02T00:10:00.000Z', ip: '192.0.2.4' }));
    await writer.flush();
    expect(told).toEqual([
      { day: '2024-03-01', hours: [wanted - HOUR], ips: ['192.0.2.2', '192.0.2.3'] },
      { day: '2024-03-02', hours: [Date.parse('2024-03-02T00:00:00.000Z')], ips: [] },
    ]);
  });

  it('past maxPendingRecords drops the oldest lines with their counts, and tells only the lines written', async () => {
    const told: string[] = [];
    const writer = newWriter(undefined, {
      maxPendingRecords: 3,
      countsWanted: () => true,
      onWritten: (_day, _hours, requests) => told.push(...requests.map((r) => r.ip)),
    });
    const records = Array.from({ length: 5 }, (_, i) =>
      makeRecord({ at: `2024-03-01T10:0${i}:00.000Z`, ip: `192.0.2.${i + 1}` }),
    );
    for (const record of records.slice(0, 3)) writer.append(record);
    disk.failAfterBytes = 0; // nothing of this write reaches the disk
    await writer.flush();
    for (const record of records.slice(3)) writer.append(record);
    await writer.close();
    expect(await segmentRecords('2024-03-01')).toEqual(records.slice(2));
    expect(told).toEqual(['192.0.2.3', '192.0.2.4', '192.0.2.5']);
    expect(writer.stats()).toMatchObject({ appended: 5, written: 3, failed: 2, pendingRecords: 0 });
  });

  it('tells the hours of a write before its lines reach the disk, and survives hooks that throw', async () => {
    const seen: { hours: readonly number[]; onDisk: boolean }[] = [];
    const errors: Error[] = [];
    const writer = newWriter((err) => errors.push(err), {
      onWriting: (hours) => {
        seen.push({ hours, onDisk: existsSync(path.join(root, '2024-03-01.ndjson')) });
      },
      onWritten: () => {
        throw new Error('rollups broke');
      },
    });
    const records = [
      makeRecord({ at: '2024-03-01T09:59:00.000Z' }),
      makeRecord({ at: '2024-03-01T10:00:00.000Z' }),
    ];
    for (const record of records) writer.append(record);
    await writer.close();
    expect(seen).toEqual([
      {
        hours: [Date.parse('2024-03-01T09:00:00.000Z'), Date.parse('2024-03-01T10:00:00.000Z')],
        onDisk: false,
      },
    ]);
    expect(await segmentRecords('2024-03-01')).toEqual(records);
    expect(writer.stats()).toMatchObject({ appended: 2, written: 2, failed: 0, pendingRecords: 0 });
    expect(errors.map((err) => err.message)).toEqual(['request log: a write hook failed']);
  });
});
