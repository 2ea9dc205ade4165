import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccessRecord } from '../../../server/store/access-record.js';
import { createRequestLog, type RequestLog, type RequestQuery } from '../../../server/store/request-log.js';
import { queryRequests } from '../../../server/store/request-query.js';
import { makeRecord, makeTempDir } from './request-log-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let log: RequestLog;
let problems: Error[];

const DAYS = ['2026-01-03', '2026-01-04', '2026-01-05'];
const IPS = ['203.0.113.1', '203.0.113.2', '2001:db8::7', '198.51.100.9'];

/** Records spread over DAYS, IPs in an irregular pattern, so each IP's lines are scattered. */
function records(count: number, dayOffset = 0): AccessRecord[] {
  return Array.from({ length: count }, (_, i) =>
    makeRecord({
      at: new Date(
        Date.parse(`${DAYS[(i + dayOffset) % DAYS.length]}T00:00:00.000Z`) + i * 1000,
      ).toISOString(),
      ip: IPS[(i * i + 3 * i) % IPS.length],
      path: `/p/${i}`,
      status: i % 5 === 0 ? 404 : 200,
    }),
  );
}

async function write(list: AccessRecord[]): Promise<void> {
  for (const record of list) log.append(record);
  await log.flush();
}

/** Every page of `query`, through the log (indexes) and through a plain scan, for comparison. */
async function pages(query: RequestQuery, indexed: boolean): Promise<string[][]> {
  const out: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = indexed
      ? await log.query({ ...query, cursor })
      : await queryRequests(dir, { ...query, cursor });
    out.push(page.records.map((r) => `${r['@timestamp']} ${r.url.path}`));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

async function expectSameAsScan(): Promise<void> {
  for (const ip of [...IPS, '192.0.2.1']) {
    for (const query of [{ ip, limit: 7 }, { ip, status: 404, limit: 3 }, { ip }]) {
      expect(await pages(query, true)).toEqual(await pages(query, false));
    }
  }
}

/** Closes the log and opens it again on the same directory (a restart: nothing cached). */
async function reopen(): Promise<void> {
  await log.close();
  log = await createRequestLog({
    dir,
    flushIntervalMs: 60_000,
    onError: () => {},
    onIndexProblem: (err) => problems.push(err),
  });
}

/** The `covered` byte count in a day's index header. */
async function coveredOf(day: string): Promise<number> {
  const text = await readFile(path.join(dir, `${day}.ndjson.ip-index`), 'latin1');
  return Number(text.split(' ')[2]);
}

const sizeOf = async (day: string) => (await stat(path.join(dir, `${day}.ndjson`))).size;

const indexFiles = async () => (await readdir(dir)).filter((n) => n.includes('.ip-index')).sort();

beforeEach(async () => {
  const temp = await makeTempDir();
  cleanup = temp.cleanup;
  dir = path.join(temp.root, 'requests');
  problems = [];
  log = await createRequestLog({
    dir,
    flushIntervalMs: 60_000,
    onError: () => {},
    onIndexProblem: (err) => problems.push(err),
  });
});
afterEach(async () => {
  await log.close();
  await cleanup();
});

describe('request log IP indexes', () => {
  it('index every closed day and answer one-IP queries (pages, cursors, filters) exactly as a full scan', async () => {
    await write(records(300));
    await log.buildIpIndexes();
    expect(await indexFiles()).toEqual(DAYS.map((d) => `${d}.ndjson.ip-index`));
    for (const day of DAYS) expect(await coveredOf(day)).toBe(await sizeOf(day));
    expect(await log.buildIpIndexes()).toBe(0);
    await expectSameAsScan();
    expect(problems).toEqual([]);
  });

  it('read only the indexed lines: a one-IP query scans far fewer lines than the segment holds', async () => {
    await write(records(300));
    await log.buildIpIndexes();
    const page = await log.query({ ip: '192.0.2.1' });
    expect(page.records).toEqual([]);
    expect(page.scannedLines).toBe(0);
  });

  it('find records appended to a day after its index was built (the unindexed tail), newest first', async () => {
    await write(records(90));
    await log.buildIpIndexes();
    await write(records(40, 1)); // late records for the same past days
    await expectSameAsScan();
    await log.buildIpIndexes(); // tails get indexed on the next refresh
    for (const day of DAYS) expect(await coveredOf(day)).toBe(await sizeOf(day));
    // Headers cached before the rebuild no longer match the files: never mistaken for corruption.
    await expectSameAsScan();
    expect(problems).toEqual([]);
    expect((await indexFiles()).filter((n) => n.includes('.corrupt-'))).toEqual([]);
  });

  it('never use an index whose segment was replaced, and rebuild it', async () => {
    await write(records(90));
    await log.buildIpIndexes();
    const file = path.join(dir, `${DAYS[0]}.ndjson`);
    const text = await readFile(file, 'utf8');
    // Same length, different bytes: the IPs of the day swapped.
    await writeFile(
      file,
      text.replaceAll('203.0.113.1"', '203.0.113.3"').replaceAll('203.0.113.2"', '203.0.113.1"'),
    );
    const staleIndex = await readFile(path.join(dir, `${DAYS[0]}.ndjson.ip-index`));
    await reopen();
    const [before] = await pages({ ip: '203.0.113.1' }, true);
    expect(before).toEqual((await pages({ ip: '203.0.113.1' }, false))[0]);
    await log.buildIpIndexes();
    expect(await readFile(path.join(dir, `${DAYS[0]}.ndjson.ip-index`))).not.toEqual(staleIndex);
    await expectSameAsScan();
  });

  it('move a corrupt index aside, report it, answer by scanning, and rebuild it', async () => {
    await write(records(90));
    await log.buildIpIndexes();
    const index = path.join(dir, `${DAYS[1]}.ndjson.ip-index`);
    await writeFile(index, (await readFile(index, 'utf8')).slice(0, 50));
    await reopen();
    await expectSameAsScan();
    expect(problems.map((p) => p.message).join('\n')).toMatch(
      /2026-01-04\.ndjson\.ip-index was corrupt.*moved to/,
    );
    expect((await indexFiles()).some((n) => /^2026-01-04\.ndjson\.ip-index\.corrupt-\d+$/.test(n))).toBe(
      true,
    );
    await log.buildIpIndexes();
    expect(await indexFiles()).toContain(`${DAYS[1]}.ndjson.ip-index`);
    await expectSameAsScan();
  });

  it('leave a torn last line out of the index, build it once, and still answer as a scan does', async () => {
    await write(records(60));
    await appendFile(
      path.join(dir, `${DAYS[2]}.ndjson`),
      '{"@timestamp":"2026-01-05T23:00:00.000Z","source":{"ip":"203.0',
    );
    await log.buildIpIndexes();
    expect(await coveredOf(DAYS[2] as string)).toBeLessThan(await sizeOf(DAYS[2] as string));
    expect(await log.buildIpIndexes()).toBe(0);
    await expectSameAsScan();
  });

  it('delete a day’s index with its segment at retention', async () => {
    await write(records(30));
    await log.buildIpIndexes();
    await log.deleteSegmentsBefore(DAYS[1] as string);
    expect(await indexFiles()).toEqual(DAYS.slice(1).map((d) => `${d}.ndjson.ip-index`));
    await expectSameAsScan();
  });

  it('leave the directory untouched when opened without background indexing, and index it when opened with', async () => {
    await log.close();
    log = await createRequestLog({ dir, onError: () => {}, indexInBackground: false });
    await write(records(60));
    expect((await log.query({ ip: IPS[0] as string })).records.length).toBeGreaterThan(0);
    await log.close();
    expect(await indexFiles()).toEqual([]);
    await reopen(); // default: closed days are indexed in the background
    await vi.waitFor(
      async () => expect(await indexFiles()).toEqual(DAYS.map((d) => `${d}.ndjson.ip-index`)),
      {
        timeout: 5000,
      },
    );
  });
});
