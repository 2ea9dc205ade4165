import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../../server/store/access-record.js';
import {
  createRequestLog,
  decodeCursor,
  encodeCursor,
  type RequestLog,
  RequestLogQueryError,
  type RequestQuery,
} from '../../../server/store/request-log.js';
import { makeRecord, makeTempDir, recordsOnDay } from './request-log-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let log: RequestLog;

beforeEach(async () => {
  const temp = await makeTempDir();
  cleanup = temp.cleanup;
  dir = path.join(temp.root, 'requests');
  log = await createRequestLog({ dir, flushIntervalMs: 60_000, onError: () => {} });
});
afterEach(async () => {
  await log.close();
  await cleanup();
});

async function write(records: AccessRecord[]): Promise<void> {
  for (const record of records) log.append(record);
  await log.flush();
}

/** Follows nextCursor to the end; returns every page. */
async function allPages(query: RequestQuery): Promise<AccessRecord[][]> {
  const pages: AccessRecord[][] = [];
  let cursor: string | undefined;
  do {
    const page = await log.query({ ...query, cursor });
    pages.push(page.records);
    cursor = page.nextCursor ?? undefined;
    if (pages.length > 100) throw new Error('pagination does not terminate');
  } while (cursor !== undefined);
  return pages;
}

const days = ['2024-03-01', '2024-03-02', '2024-03-03'];

describe('request log query', () => {
  it('pages newest-first across three day segments, every record exactly once', async () => {
    const records = days.flatMap((day) => recordsOnDay(day, 25));
    // Written out of day order, as an import would: segment order, not write order, decides.
    await write([
      ...recordsOnDay('2024-03-03', 25),
      ...recordsOnDay('2024-03-01', 25),
      ...recordsOnDay('2024-03-02', 25),
    ]);
    const newestFirst = [...records].reverse();

    const pages = await allPages({ limit: 10 });
    expect(pages.map((page) => page.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 5]);
    expect(pages.flat()).toEqual(newestFirst);

    // A limit that divides the total exactly: the last full page already knows nothing follows.
    const exact = await allPages({ limit: 25 });
    expect(exact.map((page) => page.length)).toEqual([25, 25, 25]);
    expect(exact.flat()).toEqual(newestFirst);
  });

  it('does not let records written after page one shift later pages', async () => {
    await write(recordsOnDay('2024-03-01', 6));
    const first = await log.query({ limit: 3 });
    await write([makeRecord({ at: '2024-03-01T23:00:00.000Z', path: '/late' })]);
    const second = await log.query({ limit: 3, cursor: first.nextCursor ?? undefined });
    expect([...first.records, ...second.records].map((record) => record.url.path)).toEqual(
      [5, 4, 3, 2, 1, 0].map((i) => `/2024-03-01/${i}`),
    );
    expect(second.nextCursor).toBeNull();
  });

  it('applies each filter', async () => {
    const records = [
      makeRecord({
        at: '2024-03-01T10:00:00.000Z',
        ip: '203.0.113.7',
        path: '/login',
        status: 401,
        country: 'DE',
      }),
      makeRecord({
        at: '2024-03-01T11:00:00.000Z',
        ip: '203.0.113.70',
        path: '/admin/users',
        action: 'blocked',
        status: 403,
      }),
      makeRecord({ at: '2024-03-02T09:00:00.000Z', ip: '2001:db8::1', path: '/login/reset', country: 'US' }),
      makeRecord({
        at: '2024-03-02T12:00:00.000Z',
        ip: '203.0.113.7',
        path: '/api',
        action: 'rate_limited',
        status: 429,
      }),
      makeRecord({
        at: '2024-03-03T00:00:00.000Z',
        ip: '198.51.100.4',
        path: '/wp-login.php',
        status: 404,
        country: 'DE',
      }),
      makeRecord({ at: '2024-03-03T08:00:00.000Z', ip: '198.51.100.4', path: '/', country: 'de' }),
    ];
    await write(records);
    const paths = async (query: RequestQuery) =>
      (await log.query(query)).records.map((record) => record.url.path);

    expect(await paths({ ip: '203.0.113.7' })).toEqual(['/api', '/login']);
    expect(await paths({ ip: '2001:db8::1' })).toEqual(['/login/reset']);
    expect(await paths({ path: '/login' })).toEqual(['/login/reset', '/login']);
    expect(await paths({ path: '/admin/' })).toEqual(['/admin/users']);
    expect(await paths({ status: 404 })).toEqual(['/wp-login.php']);
    expect(await paths({ action: 'blocked' })).toEqual(['/admin/users']);
    expect(await paths({ action: 'rate_limited' })).toEqual(['/api']);
    expect(await paths({ country: 'de' })).toEqual(['/wp-login.php', '/login']);
    expect(await paths({ since: new Date('2024-03-02T09:00:00.000Z') })).toEqual([
      '/',
      '/wp-login.php',
      '/api',
      '/login/reset',
    ]);
    expect(await paths({ until: new Date('2024-03-02T09:00:00.000Z') })).toEqual(['/admin/users', '/login']);
    expect(
      await paths({
        since: new Date('2024-03-01T10:30:00.000Z'),
        until: new Date('2024-03-03T00:00:00.000Z'),
      }),
    ).toEqual(['/api', '/login/reset', '/admin/users']);
    expect(await paths({ ip: '203.0.113.7', status: 429, action: 'rate_limited', path: '/a' })).toEqual([
      '/api',
    ]);
  });

  it('opens only the segments whose day intersects [since, until)', async () => {
    await write(days.flatMap((day) => recordsOnDay(day, 10)));
    const result = await log.query({
      since: new Date('2024-03-02T00:00:00.000Z'),
      until: new Date('2024-03-02T00:05:00.000Z'),
    });
    expect(result.records.map((record) => record.url.path)).toEqual(
      [4, 3, 2, 1, 0].map((i) => `/2024-03-02/${i}`),
    );
    expect(result.scannedLines).toBe(10);
  });

  it('skips a torn last line and reads the rest', async () => {
    const records = recordsOnDay('2024-03-01', 4);
    await write(records);
    await appendFile(path.join(dir, '2024-03-01.ndjson'), '{"@timestamp":"2024-03-01T09:00:00.000Z","sou');
    const result = await log.query({});
    expect(result.records).toEqual([...records].reverse());
    expect(result).toMatchObject({ scannedLines: 5, skippedLines: 1, nextCursor: null });
  });

  it('skips lines that are JSON but not access records', async () => {
    const [record] = recordsOnDay('2024-03-01', 1);
    await write([record as AccessRecord]);
    await appendFile(path.join(dir, '2024-03-01.ndjson'), '{"hello":"world"}\n[1,2]\nnull\n');
    const result = await log.query({});
    expect(result.records).toEqual([record]);
    expect(result.skippedLines).toBe(3);
  });

  it('decodes characters straddling a 64 KiB chunk boundary', async () => {
    // ~150 KiB of records whose paths are all multibyte characters.
    const records = recordsOnDay('2024-03-01', 600, { path: `/${'€😀中'.repeat(25)}` });
    await write(records);
    const pages = await allPages({ limit: 1000 });
    expect(pages.flat()).toEqual([...records].reverse());
    const scanned: AccessRecord[] = [];
    for await (const record of log.scan({}, 'oldest')) scanned.push(record);
    expect(scanned).toEqual(records);
  });

  it('scans newest-first or oldest-first with a filter', async () => {
    await write(days.flatMap((day) => recordsOnDay(day, 3, { status: day === '2024-03-02' ? 500 : 200 })));
    const collect = async (order: 'oldest' | 'newest') => {
      const found: string[] = [];
      for await (const record of log.scan({ status: 200 }, order)) found.push(record.url.path);
      return found;
    };
    const oldest = [
      '/2024-03-01/0',
      '/2024-03-01/1',
      '/2024-03-01/2',
      '/2024-03-03/0',
      '/2024-03-03/1',
      '/2024-03-03/2',
    ];
    expect(await collect('oldest')).toEqual(oldest);
    expect(await collect('newest')).toEqual([...oldest].reverse());
  });

  it('rejects a malformed cursor with a RequestLogQueryError naming it', async () => {
    await write(recordsOnDay('2024-03-01', 2));
    const bad = [
      'not a cursor!',
      Buffer.from('garbage').toString('base64url'),
      Buffer.from('2024-13-45.ndjson:5').toString('base64url'),
      Buffer.from('2024-03-01.ndjson:-5').toString('base64url'),
      Buffer.from('2024-03-01.ndjson:1e3').toString('base64url'),
      Buffer.from('../../etc/passwd:0').toString('base64url'),
      `${encodeCursor({ day: '2024-03-01', offset: 10 })}=`,
    ];
    for (const cursor of bad) {
      const error = await log.query({ cursor }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(RequestLogQueryError);
      expect(error).toMatchObject({ field: 'cursor', status: 400, expose: true });
      expect((error as Error).message).toContain(JSON.stringify(cursor));
    }
    expect(decodeCursor(encodeCursor({ day: '2024-03-01', offset: 12_345 }))).toEqual({
      day: '2024-03-01',
      offset: 12_345,
    });
  });

  it('rejects bad filter values and clamps the limit to 1000', async () => {
    await write(recordsOnDay('2024-03-01', 1005));
    for (const query of [
      { limit: 0 },
      { limit: 2.5 },
      { status: 99 },
      { country: 'Germany' },
      { since: new Date('nope') },
      { action: 'deleted' },
    ] as RequestQuery[]) {
      await expect(log.query(query)).rejects.toBeInstanceOf(RequestLogQueryError);
    }
    expect((await log.query({})).records).toHaveLength(100);
    expect((await log.query({ limit: 5000 })).records).toHaveLength(1000);
  });
});
