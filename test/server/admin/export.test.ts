import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  EXPORT_CONTENT_TYPES,
  type ExportFormat,
  type ExportKind,
  writeExport,
} from '../../../server/admin/export.js';
import type { AccessRecord } from '../../../server/store/index.js';

/** A Writable that keeps everything written to it. */
function collector(): { out: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function exportText(
  kind: ExportKind,
  format: ExportFormat,
  items: Iterable<unknown> | AsyncIterable<unknown>,
) {
  const { out, text } = collector();
  const count = await writeExport(kind, format, items, out);
  return { count, text: text() };
}

function record(overrides: Partial<AccessRecord> = {}): AccessRecord {
  return {
    '@timestamp': '2024-03-01T12:00:00.000Z',
    source: {
      ip: '203.0.113.7',
      geo: { country_iso_code: 'NL', country_name: 'Netherlands', city_name: 'Amsterdam' },
    },
    http: { request: { method: 'POST', referrer: 'https://example.com/' }, response: { status_code: 429 } },
    url: { path: '/login', query: 'next=/' },
    user_agent: { original: 'curl/8.0' },
    event: { action: 'rate_limited', duration: 12_345_678 },
    rule: { name: 'login' },
    ...overrides,
  };
}

async function* generate<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

const HEADER =
  'timestamp,ip,country,country_name,city,method,path,query,status,action,rule,duration_ms,user_agent,referrer';

describe('writeExport CSV of requests', () => {
  it('writes the header row and one flattened row per record', async () => {
    const { count, text } = await exportText('requests', 'csv', [record()]);
    expect(count).toBe(1);
    expect(text.split('\n')).toEqual([
      HEADER,
      '2024-03-01T12:00:00.000Z,203.0.113.7,NL,Netherlands,Amsterdam,POST,/login,next=/,429,rate_limited,login,12.35,curl/8.0,https://example.com/',
      '',
    ]);
  });

  it('leaves missing optional fields empty', async () => {
    const bare = record({ source: { ip: '::1' }, user_agent: undefined, url: { path: '/' } });
    delete bare.rule;
    bare.http.request.referrer = undefined;
    const { text } = await exportText('requests', 'csv', [bare]);
    expect(text.split('\n')[1]).toBe('2024-03-01T12:00:00.000Z,::1,,,,POST,/,,429,rate_limited,,12.35,,');
  });

  it('writes the header row even with no records', async () => {
    const { count, text } = await exportText('requests', 'csv', []);
    expect(count).toBe(0);
    expect(text).toBe(`${HEADER}\n`);
  });

  it.each([
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ['+cmd', "'+cmd"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
  ])('neutralises the formula-like user agent %j', async (agent, cell) => {
    const { text } = await exportText('requests', 'csv', [record({ user_agent: { original: agent } })]);
    const row = text.slice(HEADER.length + 1);
    expect(row).toContain(`,${cell},https://example.com/`);
  });

  it('neutralises formula-like paths, queries and referrers too', async () => {
    const evil = record({ url: { path: '/x', query: '=1+1' } });
    evil.http.request.referrer = '@evil';
    const { text } = await exportText('requests', 'csv', [evil]);
    expect(text).toContain(",'=1+1,");
    expect(text).toContain(",'@evil\n");
  });

  it('quotes cells holding commas, quotes and newlines', async () => {
    const { text } = await exportText('requests', 'csv', [record({ user_agent: { original: 'a, "b"\nc' } })]);
    expect(text).toContain(',"a, ""b""\nc",');
  });

  it('streams from an async iterable and counts what it wrote', async () => {
    const records = Array.from({ length: 250 }, (_, i) => record({ url: { path: `/p${i}` } }));
    const { count, text } = await exportText('requests', 'csv', generate(records));
    expect(count).toBe(250);
    expect(text.trimEnd().split('\n')).toHaveLength(251);
  });
});

describe('writeExport JSON and NDJSON', () => {
  it('JSON parses back to the items', async () => {
    const items = [record(), record({ source: { ip: '198.51.100.1' } })];
    const { count, text } = await exportText('requests', 'json', generate(items));
    expect(count).toBe(2);
    expect(JSON.parse(text)).toEqual(items);
  });

  it('JSON of nothing is an empty array', async () => {
    const { count, text } = await exportText('flags', 'json', []);
    expect(count).toBe(0);
    expect(JSON.parse(text)).toEqual([]);
  });

  it('NDJSON writes one parseable line per item', async () => {
    const items = [{ a: 1 }, { b: 'two\nlines' }, { c: null }];
    const { count, text } = await exportText('blocks', 'ndjson', items);
    expect(count).toBe(3);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(lines.slice(0, 3).map((l) => JSON.parse(l))).toEqual(items);
  });

  it('NDJSON of nothing is empty', async () => {
    expect((await exportText('requests', 'ndjson', [])).text).toBe('');
  });

  it('does not neutralise formula-like text in JSON formats (it is data, not a sheet)', async () => {
    const { text } = await exportText('requests', 'ndjson', [record({ user_agent: { original: '=1+1' } })]);
    expect(JSON.parse(text).user_agent.original).toBe('=1+1');
  });
});

describe('writeExport CSV of flags and blocks', () => {
  it('uses the entry fields as columns, with empty cells for null', async () => {
    const blocks = [
      {
        target: '203.0.113.7',
        reason: 'scanner',
        createdAt: '2024-03-01T00:00:00.000Z',
        createdBy: 'cli',
        expiresAt: null,
        expired: false,
      },
      {
        target: '198.51.100.0/24',
        reason: '',
        createdAt: '2024-03-01T00:00:00.000Z',
        createdBy: 'user:ann',
        expiresAt: '2024-03-02T00:00:00.000Z',
        expired: true,
      },
    ];
    const { count, text } = await exportText('blocks', 'csv', blocks);
    expect(count).toBe(2);
    expect(text.split('\n')).toEqual([
      'target,reason,createdAt,createdBy,expiresAt,expired',
      '203.0.113.7,scanner,2024-03-01T00:00:00.000Z,cli,,false',
      '198.51.100.0/24,,2024-03-01T00:00:00.000Z,user:ann,2024-03-02T00:00:00.000Z,true',
      '',
    ]);
  });

  it('writes nested flag details as a JSON cell', async () => {
    const flag = {
      ip: '203.0.113.7',
      reason: 'credential_stuffing',
      details: { failed_logins: 40, paths: ['/login'] },
      request_count: 41,
      first_seen: '2024-03-01T00:00:00.000Z',
      last_seen: '2024-03-01T00:05:00.000Z',
      is_active: true,
    };
    const { text } = await exportText('flags', 'csv', [flag]);
    const [header, row] = text.split('\n');
    expect(header).toBe('ip,reason,details,request_count,first_seen,last_seen,is_active');
    expect(row).toBe(
      '203.0.113.7,credential_stuffing,"{""failed_logins"":40,""paths"":[""/login""]}",41,2024-03-01T00:00:00.000Z,2024-03-01T00:05:00.000Z,true',
    );
  });

  it('neutralises formula-like reasons', async () => {
    const { text } = await exportText('blocks', 'csv', [
      { target: '192.0.2.1', reason: '=cmd|" /C calc"!A0' },
    ]);
    expect(text.split('\n')[1]).toBe(`192.0.2.1,"'=cmd|"" /C calc""!A0",,,,`);
  });

  it('writes the header row with no entries, and the same columns whatever fields an entry has', async () => {
    expect((await exportText('flags', 'csv', [])).text).toBe(
      'ip,reason,details,request_count,first_seen,last_seen,is_active\n',
    );
    expect((await exportText('blocks', 'csv', [])).text).toBe(
      'target,reason,createdAt,createdBy,expiresAt,expired\n',
    );
    expect((await exportText('allowlist', 'csv', [])).text).toBe('target,reason,createdAt,createdBy\n');
    const { text } = await exportText('blocks', 'csv', [
      { target: '192.0.2.1', reason: 'first' },
      { expired: true, target: '192.0.2.2', reason: 'second', createdBy: 'cli' },
    ]);
    expect(text.split('\n')).toEqual([
      'target,reason,createdAt,createdBy,expiresAt,expired',
      '192.0.2.1,first,,,,',
      '192.0.2.2,second,,cli,,true',
      '',
    ]);
  });
});

describe('EXPORT_CONTENT_TYPES', () => {
  it('names a UTF-8 MIME type per format', () => {
    expect(EXPORT_CONTENT_TYPES).toEqual({
      json: 'application/json; charset=utf-8',
      csv: 'text/csv; charset=utf-8',
      ndjson: 'application/x-ndjson; charset=utf-8',
    });
  });
});
