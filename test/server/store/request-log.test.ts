import { appendFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccessRecord } from '../../../server/store/access-record.js';
import {
  createRequestLog,
  type RequestLog,
  type RequestLogOptions,
  RequestLogWriteError,
} from '../../../server/store/request-log.js';
import { recordArbitrary } from '../../helpers/arbitraries.js';
import { makeRecord, makeTempDir, recordsOnDay } from './request-log-fixtures.js';

let root: string;
let dir: string;
let cleanup: () => Promise<void>;
const opened: RequestLog[] = [];

beforeEach(async () => {
  ({ root, cleanup } = await makeTempDir());
  dir = path.join(root, 'data', 'requests');
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((log) => log.close()));
  await cleanup();
});

async function open(options: Partial<RequestLogOptions> = {}): Promise<RequestLog> {
  const log = await createRequestLog({ dir, flushIntervalMs: 60_000, onError: () => {}, ...options });
  opened.push(log);
  return log;
}

async function segmentLines(day: string): Promise<string[]> {
  const text = await readFile(path.join(dir, `${day}.ndjson`), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

async function readAll(log: RequestLog): Promise<AccessRecord[]> {
  const records: AccessRecord[] = [];
  for await (const record of log.scan({}, 'oldest')) records.push(record);
  return records;
}

describe('request log writer', () => {
  it('creates the directory and writes each record to the segment of its own @timestamp day', async () => {
    const log = await open();
    const today = recordsOnDay('2024-03-02', 5);
    const imported = recordsOnDay('2023-12-31', 3);
    for (const record of [...today, ...imported, makeRecord({ at: '2024-03-02T23:59:59.999+00:00' })]) {
      log.append(record);
    }
    // No I/O on append: nothing is on disk until a flush.
    expect(await readdir(dir)).toEqual([]);
    await log.flush();

    expect((await readdir(dir)).sort()).toEqual(['2023-12-31.ndjson', '2024-03-02.ndjson']);
    expect((await segmentLines('2024-03-02')).map((line) => JSON.parse(line))).toEqual([
      ...today,
      makeRecord({ at: '2024-03-02T23:59:59.999+00:00' }),
    ]);
    expect((await segmentLines('2023-12-31')).map((line) => JSON.parse(line))).toEqual(imported);
    expect(log.stats()).toMatchObject({ appended: 9, written: 9, failed: 0, pendingRecords: 0 });
  });

  it('appends later batches after earlier ones, each ending in a newline', async () => {
    const log = await open();
    const [first, second, third] = recordsOnDay('2024-03-01', 3);
    if (!first || !second || !third) throw new Error('fixture');
    log.append(first);
    await log.flush();
    log.append(second);
    log.append(third);
    await log.flush();
    await log.flush(); // nothing new: must not write an empty line
    expect((await segmentLines('2024-03-01')).map((line) => JSON.parse(line))).toEqual([
      first,
      second,
      third,
    ]);
  });

  it('keeps hostile content on one line and round-trips it exactly', async () => {
    const hostile = [
      'line\nbreak',
      'carriage\r\nreturn',
      '"quoted" \\ backslash',
      '<script>alert(1)</script>',
      'emoji 😀 and 中文 and é',
      'separators \u2028\u2029 and NUL \u0000',
      'lone surrogates \ud800 and \udfff',
      '{"@timestamp":"fake"}\n{"inject":true}',
    ];
    const log = await open();
    const records = hostile.map((text, i) =>
      makeRecord({ at: `2024-03-01T10:00:0${i}.000Z`, path: `/${text}`, userAgent: text }),
    );
    for (const record of records) log.append(record);
    await log.flush();
    const lines = await segmentLines('2024-03-01');
    expect(lines).toHaveLength(records.length);
    expect(lines.map((line) => JSON.parse(line))).toEqual(records);
    expect(await readAll(log)).toEqual(records);
  });

  it('flushes on the timer, which does not keep the process alive', async () => {
    vi.useFakeTimers();
    const timersBefore = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const log = await open({ flushIntervalMs: 1000 });
    expect(process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length).toBe(timersBefore);
    log.append(makeRecord({ at: '2024-03-01T10:00:00.000Z' }));
    await vi.advanceTimersByTimeAsync(999);
    expect(log.stats()).toMatchObject({ written: 0, pendingRecords: 1 });
    await vi.advanceTimersByTimeAsync(1);
    await log.flush(); // waits for the timer's write to finish
    expect(log.stats()).toMatchObject({ written: 1, pendingRecords: 0 });
    expect(await segmentLines('2024-03-01')).toHaveLength(1);
  });

  it('flushes as soon as maxBatch records are waiting', async () => {
    const log = await open({ maxBatch: 3, flushIntervalMs: 60_000 });
    const records = recordsOnDay('2024-03-01', 3);
    log.append(records[0] as AccessRecord);
    log.append(records[1] as AccessRecord);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log.stats()).toMatchObject({ written: 0, pendingRecords: 2 });
    log.append(records[2] as AccessRecord);
    await vi.waitFor(() => expect(log.stats()).toMatchObject({ written: 3, pendingRecords: 0 }));
    expect(await segmentLines('2024-03-01')).toHaveLength(3);
  });

  it('enriches and serialises a record when it is appended, so later changes to it are not written', async () => {
    const enrich = vi.fn((record: AccessRecord) => {
      record.source.geo = { country_iso_code: 'FR' };
    });
    const log = await open({ flushIntervalMs: 60_000, enrich });
    const record = makeRecord({ at: '2024-03-01T10:00:00.000Z', ip: '203.0.113.9' });
    log.append(record);
    expect(enrich).toHaveBeenCalledTimes(1);
    record.url.path = '/changed-after-append';
    record.source.ip = '198.51.100.99';
    await log.flush();
    const [line] = await segmentLines('2024-03-01');
    const written = JSON.parse(line as string) as AccessRecord;
    expect(written.source).toEqual({ ip: '203.0.113.9', geo: { country_iso_code: 'FR' } });
    expect(written.url.path).not.toBe('/changed-after-append');
  });

  it('lets enrich add source.geo before serialisation, and survives an enrich hook that throws', async () => {
    const errors: Error[] = [];
    const log = await open({
      onError: (err) => errors.push(err),
      enrich: (record) => {
        if (record.source.ip === '198.51.100.1') throw new Error('geo database closed');
        record.source.geo = { country_iso_code: 'DE', country_name: 'Germany' };
      },
    });
    log.append(makeRecord({ at: '2024-03-01T10:00:00.000Z', ip: '203.0.113.9' }));
    log.append(makeRecord({ at: '2024-03-01T10:00:01.000Z', ip: '198.51.100.1' }));
    await log.flush();
    const [enriched, plain] = (await segmentLines('2024-03-01')).map(
      (line) => JSON.parse(line) as AccessRecord,
    );
    expect(enriched?.source.geo).toEqual({ country_iso_code: 'DE', country_name: 'Germany' });
    expect(plain?.source).toEqual({ ip: '198.51.100.1' });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('enrich');
  });

  it('drops records with an unusable @timestamp or that cannot be serialised, and says so', async () => {
    const errors: Error[] = [];
    const log = await open({ onError: (err) => errors.push(err) });
    const circular = makeRecord({ at: '2024-03-01T10:00:00.000Z' }) as AccessRecord & { self?: unknown };
    circular.self = circular;
    log.append(makeRecord({ at: 'yesterday-ish' }));
    log.append(circular);
    log.append(makeRecord({ at: '2024-03-01T10:00:01.000Z' }));
    await log.flush();
    expect(await segmentLines('2024-03-01')).toHaveLength(1);
    expect(log.stats()).toMatchObject({ appended: 3, written: 1, failed: 2, pendingRecords: 0 });
    expect(errors.map((err) => err.message).join('\n')).toMatch(/invalid @timestamp.*yesterday-ish/);
    expect(errors.every((err) => err instanceof RequestLogWriteError)).toBe(true);
  });

  it('survives write failures: reports them, keeps accepting, and writes everything after recovery', async () => {
    const errors: Error[] = [];
    const log = await open({ onError: (err) => errors.push(err) });
    const records = recordsOnDay('2024-03-01', 6);
    // Replace the directory by a regular file: every open of a segment fails with ENOTDIR (even as root).
    await rm(dir, { recursive: true });
    await writeFile(dir, 'not a directory');
    for (const record of records.slice(0, 3)) log.append(record);
    await log.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RequestLogWriteError);
    expect(errors[0]?.message).toContain('2024-03-01.ndjson');
    expect(errors[0]?.cause).toMatchObject({ code: 'ENOTDIR' });
    expect(log.stats()).toMatchObject({
      appended: 3,
      written: 0,
      failed: 0,
      pendingRecords: 3,
      writeErrors: 1,
    });

    expect(() => {
      for (const record of records.slice(3)) log.append(record);
    }).not.toThrow();
    await log.flush();
    expect(log.stats()).toMatchObject({ written: 0, pendingRecords: 6, writeErrors: 2 });

    // Recovery: the file goes away; the writer recreates the directory itself.
    await rm(dir);
    await log.flush();
    expect((await segmentLines('2024-03-01')).map((line) => JSON.parse(line))).toEqual(records);
    expect(log.stats()).toMatchObject({ appended: 6, written: 6, failed: 0, pendingRecords: 0 });
  });

  it('keeps at most maxPendingRecords while writes fail, dropping the oldest', async () => {
    const log = await open({ maxPendingRecords: 4 });
    const records = recordsOnDay('2024-03-01', 7);
    await rm(dir, { recursive: true });
    await writeFile(dir, 'not a directory');
    for (const record of records.slice(0, 3)) log.append(record);
    await log.flush();
    for (const record of records.slice(3)) log.append(record);
    expect(log.stats()).toMatchObject({ appended: 7, failed: 3, pendingRecords: 4 });
    await rm(dir);
    await log.flush();
    expect((await segmentLines('2024-03-01')).map((line) => JSON.parse(line))).toEqual(records.slice(3));
    expect(log.stats()).toMatchObject({ appended: 7, written: 4, failed: 3, pendingRecords: 0 });
  });

  it('drops the oldest unserialised records past the cap, keeping the newest in order', async () => {
    const log = await open({ maxPendingRecords: 3000, maxBatch: 10_000 });
    const records = recordsOnDay('2024-03-01', 5000);
    for (const record of records) log.append(record); // no flush in between: all still unserialised
    expect(log.stats()).toMatchObject({ appended: 5000, failed: 2000, pendingRecords: 3000 });
    await log.flush();
    expect(await readAll(log)).toEqual(records.slice(2000));
    expect(log.stats()).toMatchObject({ written: 3000, failed: 2000, pendingRecords: 0 });
  });

  it('writes a backlog larger than maxBatch in order once the disk is back', async () => {
    const log = await open({ maxBatch: 2 });
    const records = recordsOnDay('2024-03-01', 7);
    await rm(dir, { recursive: true });
    await writeFile(dir, 'not a directory');
    for (const record of records) log.append(record);
    await log.flush();
    expect(log.stats().written).toBe(0);
    await rm(dir);
    await log.flush();
    expect((await segmentLines('2024-03-01')).map((line) => JSON.parse(line))).toEqual(records);
    expect(log.stats()).toMatchObject({ appended: 7, written: 7, pendingRecords: 0 });
  });

  it('starts on a fresh line after a torn tail left by a crash', async () => {
    const log = await open();
    const [before, after] = recordsOnDay('2024-03-01', 2);
    await writeFile(
      path.join(dir, '2024-03-01.ndjson'),
      `${JSON.stringify(before)}\n{"@timestamp":"2024-03-01T00:00:30`,
    );
    log.append(after as AccessRecord);
    await log.flush();
    expect(await readAll(log)).toEqual([before, after]);
    expect(log.stats().skippedLines).toBe(1);
  });

  it('close() writes the last batch, and later appends are still written', async () => {
    const log = await open();
    const [first, late] = recordsOnDay('2024-03-01', 2);
    log.append(first as AccessRecord);
    await log.close();
    expect(await segmentLines('2024-03-01')).toHaveLength(1);
    log.append(late as AccessRecord);
    await log.flush();
    expect(await segmentLines('2024-03-01')).toHaveLength(2);
  });

  it('rejects bad options by name', async () => {
    await expect(createRequestLog({ dir, maxBatch: 0 })).rejects.toThrow(/maxBatch/);
    await expect(createRequestLog({ dir, flushIntervalMs: Number.NaN })).rejects.toThrow(/flushIntervalMs/);
  });
});

describe('request log retention', () => {
  it('lists segments oldest first and deletes only whole segments before a day, with their IP indexes', async () => {
    // Indexes built here, not in the background, so the files present do not depend on timing.
    const log = await open({ indexInBackground: false });
    for (const day of ['2024-03-03', '2024-03-01', '2024-03-02']) {
      for (const record of recordsOnDay(day, 2)) log.append(record);
    }
    await log.flush();
    expect(await log.buildIpIndexes()).toBe(3);
    await appendFile(path.join(dir, 'notes.txt'), 'not a segment');
    const segments = await log.listSegments();
    expect(segments.map((segment) => segment.day)).toEqual(['2024-03-01', '2024-03-02', '2024-03-03']);
    const bytes = (await readFile(path.join(dir, '2024-03-01.ndjson'))).length;
    expect(segments[0]).toEqual({ name: '2024-03-01.ndjson', day: '2024-03-01', bytes });

    expect(await log.deleteSegmentsBefore('2024-03-02')).toEqual(['2024-03-01.ndjson']);
    expect((await readdir(dir)).sort()).toEqual([
      '2024-03-02.ndjson',
      '2024-03-02.ndjson.ip-index',
      '2024-03-03.ndjson',
      '2024-03-03.ndjson.ip-index',
      'notes.txt',
    ]);
    expect((await readAll(log)).map((record) => record['@timestamp'].slice(0, 10))).toEqual([
      '2024-03-02',
      '2024-03-02',
      '2024-03-03',
      '2024-03-03',
    ]);
    await expect(log.deleteSegmentsBefore('2024-3-2')).rejects.toThrow(RangeError);
  });
});

describe('request log properties', () => {
  it('any record serialises to exactly one line and reads back deep-equal', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(recordArbitrary, { minLength: 1, maxLength: 8 }), async (records) => {
        const log = await createRequestLog({ dir: path.join(root, `run-${run++}`), onError: () => {} });
        try {
          for (const record of records) log.append(record);
          await log.flush();
          let total = 0;
          for (const segment of await log.listSegments()) {
            const text = await readFile(path.join(log.dir, segment.name), 'utf8');
            total += text.split('\n').length - 1;
          }
          expect(total).toBe(records.length);
          const byDayThenOrder = [...records].sort((a, b) =>
            a['@timestamp'].slice(0, 10).localeCompare(b['@timestamp'].slice(0, 10)),
          );
          expect(await readAll(log)).toEqual(byDayThenOrder);
        } finally {
          await log.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
