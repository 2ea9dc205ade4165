import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportFileName, formulaSafe, writeExport } from '../../server/admin/export.js';
import type { AccessRecord } from '../../server/store/index.js';
import { flushRecords, startTestAppliance, type TestAppliance } from '../helpers/appliance.js';
import { runCli } from '../helpers/cli.js';
import { parseCsv } from '../helpers/csv-parse.js';

/** Exports: formula-safe CSV cells, one CSV record per item whatever a client sent, safe file names. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters before a formula are the point
const TRIGGER = /^[\s\u0000-\u001f\u007f\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n]/;

function record(path: string, agent: string): AccessRecord {
  return {
    '@timestamp': '2026-03-02T10:00:00.000Z',
    source: { ip: '203.0.113.7' },
    http: { request: { method: 'GET' }, response: { status_code: 200 } },
    url: { path },
    user_agent: { original: agent },
    event: { action: 'allowed', duration: 1_000_000 },
  };
}

async function csvOf(records: AccessRecord[]): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  await writeExport('requests', 'csv', records, out);
  return Buffer.concat(chunks).toString('utf8');
}

describe('CSV cells are formula-safe', () => {
  it.each([
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
    ['=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'],
    ['\t=1+1', "'\t=1+1"],
    [' =1+1', "' =1+1"],
    ['\n=1+1', "'\n=1+1"],
    ['\r@SUM(A1)', "'\r@SUM(A1)"],
    ['\uff1d1+1', "'\uff1d1+1"],
    ['-2+3', "'-2+3"],
    ['+41 22', "'+41 22"],
    ['Mozilla/5.0 (=x)', 'Mozilla/5.0 (=x)'],
    ['/index.php?a=1', '/index.php?a=1'],
  ])('%j → %j', (text, cell) => {
    expect(formulaSafe(text)).toBe(cell);
  });

  it('on any text, a cell either starts with a quote or cannot start a formula (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const cell = formulaSafe(text);
        if (cell !== text) expect(cell).toBe(`'${text}`);
        else expect(TRIGGER.test(text)).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });

  it('a hostile path or user agent never adds a row or a column, and reads back as written (fast-check)', async () => {
    const hostile = fc.string({ unit: 'binary', maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(hostile, hostile), { minLength: 1, maxLength: 20 }),
        async (pairs) => {
          const rows = parseCsv(await csvOf(pairs.map(([p, ua]) => record(`/${p}`, ua))));
          expect(rows).toHaveLength(pairs.length + 1);
          for (const [i, [p, ua]] of pairs.entries()) {
            const row = rows[i + 1] as string[];
            expect(row).toHaveLength(14);
            expect(row[6]).toBe(formulaSafe(`/${p}`));
            expect(row[12]).toBe(formulaSafe(ua));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('export file names cannot leave their directory', () => {
  it('keeps only safe characters and no leading dot, for any kind and format (fast-check)', () => {
    const dir = path.resolve('/exports');
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 20 }), (kind, format) => {
        const name = exportFileName(kind, format, new Date(0));
        expect(name).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/);
        expect(path.dirname(path.resolve(dir, name))).toBe(dir);
      }),
      { numRuns: 3000 },
    );
    expect(exportFileName('../../etc/passwd', 'csv', new Date(0))).toBe(
      'ipwarden-.._.._etc_passwd-1970-01-01-00-00-00.csv',
    );
  });
});

describe('exports over the API and the CLI', () => {
  let app: TestAppliance;
  beforeAll(async () => {
    app = await startTestAppliance({ schedule: false });
    const res = await app.proxy('/=cmd|calc', {
      headers: { 'user-agent': '=HYPERLINK("http://evil.example")' },
    });
    await res.arrayBuffer();
    await flushRecords(app.appliance);
  });
  afterAll(() => app?.stop());

  it('the download name is generated, and an unknown kind is a 404, not a path', async () => {
    const res = await app.admin('/api/export/requests?format=csv');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="ipwarden-requests-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.csv"$/,
    );
    const rows = parseCsv(await res.text());
    expect(rows[1]?.[6]).toBe('/=cmd|calc'); // starts with "/": not a formula
    expect(rows[1]?.[12]).toBe('\'=HYPERLINK("http://evil.example")');
    for (const kind of ['..%2F..%2Fstate', '%2E%2E', 'requests.csv'])
      expect((await app.admin(`/api/export/${kind}`)).status, kind).toBe(404);
  });

  it('the CLI writes into a directory under a generated name, mode 0600, no partial file left', async () => {
    const out = path.join(app.dataDir, 'exports');
    await mkdir(out);
    const run = await runCli(app.dataDir, 'export', 'requests', '--format', 'csv', '--out', `${out}/`);
    expect(run.error).toBeUndefined();
    const files = await readdir(out);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^ipwarden-requests-[\d-]+\.csv$/);
    expect((await stat(path.join(out, files[0] as string))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(out, files[0] as string), 'utf8')).toContain('"\'=HYPERLINK(');
    const failed = await runCli(
      app.dataDir,
      'export',
      'requests',
      '--out',
      path.join(out, 'missing', 'x.json'),
    );
    expect(failed.error?.message).toMatch(/^--out: cannot write .*ENOENT/);
    expect(await readdir(out)).toHaveLength(1);
  });
});
