import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GeoLookup, openGeoip } from '../../../geoip/index.js';
import { importFile } from '../../../server/import/index.js';
import { parseAccessRecord } from '../../../server/store/access-record.js';
import { APACHE_LOGS } from '../../helpers/combined-log.js';

let dir: string;
let geo: GeoLookup;
beforeAll(async () => {
  geo = await openGeoip();
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-import-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function records() {
  const reqDir = path.join(dir, 'data', 'requests');
  const all = [];
  for (const name of (await readdir(reqDir)).sort()) {
    for (const line of (await readFile(path.join(reqDir, name), 'utf8')).split('\n')) {
      const r = line === '' ? null : parseAccessRecord(line);
      if (r) all.push(r);
    }
  }
  return all.sort((a, b) => a['@timestamp'].localeCompare(b['@timestamp']));
}

const run = (file: string, stdin?: Readable) =>
  importFile({ file, format: 'auto', dataDir: path.join(dir, 'data'), geo, stdin });

describe('importFile', () => {
  it('imports the shared apache_logs whole, with each line’s own time, and adds nothing the second time', async () => {
    const file = APACHE_LOGS.pathname;
    const first = await run(file);
    expect(first).toMatchObject({
      format: 'combined',
      linesRead: 10_000,
      imported: 10_000,
      rejected: 0,
      duplicates: 0,
      // Not the first and last lines' times: the log is a few seconds out of order at both ends.
      earliest: '2015-05-17T10:05:00.000Z',
      latest: '2015-05-20T21:05:59.000Z',
    });
    const all = await records();
    expect(all).toHaveLength(10_000);
    expect(new Set(all.map((r) => r.source.ip)).size).toBe(1753);
    // The log is not strictly in time order: find the first and last lines' own records.
    const text = await readFile(APACHE_LOGS, 'utf8');
    const [firstLine, lastLine] = [
      text.split('\n')[0] as string,
      text.trimEnd().split('\n').at(-1) as string,
    ];
    const timesOf = (line: string) =>
      all
        .filter(
          (r) =>
            line.startsWith(`${r.source.ip} `) &&
            line.includes(`"GET ${r.url.path}${r.url.query === undefined ? '' : `?${r.url.query}`} `),
        )
        .map((r) => r['@timestamp']);
    expect(timesOf(firstLine)).toContain('2015-05-17T10:05:03.000Z');
    expect(timesOf(lastLine)).toContain('2015-05-20T21:05:15.000Z');
    expect(all.find((r) => r.source.ip === '83.149.9.216')?.source.geo?.country_iso_code).toBe('RU');

    const again = await run(file);
    expect(again).toMatchObject({ imported: 0, duplicates: 10_000, rejected: 0 });
    expect(await records()).toHaveLength(10_000);
  });

  it('counts malformed lines with their line numbers and keeps identical lines as two records', async () => {
    const good = (s: number) =>
      `203.0.113.5 - - [01/Jan/2024:00:00:0${s} +0000] "GET /${s} HTTP/1.1" 200 1 "-" "ua"`;
    const lines = [
      good(1),
      good(1), // a second identical request: kept
      'garbage line',
      '',
      good(2),
      'host.example - - [01/Jan/2024:00:00:03 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"',
      good(3),
      '\u0000\u00ff\uFFFD',
    ];
    const file = path.join(dir, 'mixed.log');
    await writeFile(file, `${lines.join('\r\n')}\r\n`);
    const summary = await run(file);
    expect(summary).toMatchObject({ linesRead: 8, imported: 4, rejected: 3, empty: 1, duplicates: 0 });
    expect(summary.rejections.map((r) => r.line)).toEqual([3, 6, 8]);
    expect(summary.rejections[1]?.reason).toContain('not an IP address');
    expect((await run(file)).duplicates).toBe(4);
    expect(await records()).toHaveLength(4);
  });

  it('reads gzip (by its magic bytes, whatever the name) and stdin', async () => {
    const text = await readFile(APACHE_LOGS, 'utf8');
    const first100 = `${text.split('\n').slice(0, 100).join('\n')}\n`;
    const file = path.join(dir, 'access.log');
    await writeFile(file, gzipSync(first100));
    expect(await run(file)).toMatchObject({ linesRead: 100, imported: 100, rejected: 0 });
    const fromStdin = await run('-', Readable.from([Buffer.from(first100)]));
    expect(fromStdin).toMatchObject({ linesRead: 100, imported: 0, duplicates: 100 });
  });

  it('imports a day again once its segment is gone (retention deleted it), not before', async () => {
    const line = (day: string, s: number) =>
      `203.0.113.5 - - [${day}/Jan/2024:00:00:0${s} +0000] "GET /${s} HTTP/1.1" 200 1 "-" "ua"`;
    const file = path.join(dir, 'two-days.log');
    await writeFile(file, `${[line('01', 1), line('01', 2), line('02', 1)].join('\n')}\n`);
    expect(await run(file)).toMatchObject({ imported: 3 });
    await rm(path.join(dir, 'data', 'requests', '2024-01-01.ndjson'));
    expect(await run(file)).toMatchObject({ imported: 2, duplicates: 1 });
    expect((await records()).map((r) => r['@timestamp'])).toEqual([
      '2024-01-01T00:00:01.000Z',
      '2024-01-01T00:00:02.000Z',
      '2024-01-02T00:00:01.000Z',
    ]);
    expect(await run(file)).toMatchObject({ imported: 0, duplicates: 3 });
    const ids = await readFile(path.join(dir, 'data', 'imports', '2024-01-01.ids'), 'utf8');
    expect(ids.trimEnd().split('\n')).toHaveLength(2); // started afresh, not appended to
  });

  it('refuses a file whose format it cannot tell, writing nothing', async () => {
    const file = path.join(dir, 'notes.txt');
    await writeFile(file, 'hello\nworld\n');
    await expect(run(file)).rejects.toThrow(/cannot tell the log format.*--format/);
  });
});
