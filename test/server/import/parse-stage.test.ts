import { describe, expect, it } from 'vitest';
import { ImportError } from '../../../server/import/import-errors.js';
import { ParseStage } from '../../../server/import/parse-stage.js';
import { recordAt } from '../../../server/import/parsed-batch.js';

const line = (second: number, path = `/${second}`) =>
  `198.51.100.7 - - [02/Jan/2024:00:00:0${second} +0000] "GET ${path}?q=1 HTTP/1.1" 404 1 "https://ref.example/" "ua \\"quoted\\""`;

describe('ParseStage', () => {
  it('rejects a line over the length limit by its number, and cuts long client text as the proxy does', () => {
    const stage = new ParseStage('combined');
    stage.add([line(1, `/${'p'.repeat(10_000)}`), `${line(2)}${' '.repeat(70_000)}`]);
    const batch = stage.take(true);
    expect(batch).toMatchObject({
      rejected: 1,
      rejections: [{ line: 2, reason: 'longer than 65,536 characters' }],
    });
    expect(recordAt(batch.records, 0).url.path).toHaveLength(4_096);
  });

  it('rejects a line whose time is past the year 9999 in UTC, and keeps the others', () => {
    const stage = new ParseStage('combined');
    const late = '192.0.2.250 - - [31/Dec/9999:23:59:59 -0100] "GET /bad HTTP/1.1" 200 1 "-" "x"';
    stage.add([line(1), late, line(2)]);
    const batch = stage.take(true);
    expect(batch).toMatchObject({ rejected: 1, latest: '2024-01-02T00:00:02.000Z' });
    expect(batch.rejections).toEqual([
      {
        line: 2,
        reason: 'time +010000-01-01T00:59:59.000Z is outside the years 0000–9999 the request log holds',
      },
    ]);
    expect(batch.records.id).toHaveLength(2);
  });

  it('parses lines into records with ids, counting blank and rejected lines by line number', () => {
    const stage = new ParseStage('combined');
    stage.add([line(1), '', 'not a log line', '   ']);
    stage.add([line(2)]);
    const batch = stage.take(true);
    expect(batch).toMatchObject({
      last: true,
      format: 'combined',
      linesRead: 5,
      empty: 2,
      rejected: 1,
      earliest: '2024-01-02T00:00:01.000Z',
      latest: '2024-01-02T00:00:02.000Z',
    });
    expect(batch.rejections).toEqual([{ line: 3, reason: expect.stringMatching(/^not combined format/) }]);
    expect(batch.records.id).toHaveLength(2);
    expect(recordAt(batch.records, 0)).toEqual({
      '@timestamp': '2024-01-02T00:00:01.000Z',
      source: { ip: '198.51.100.7' },
      http: { request: { method: 'GET', referrer: 'https://ref.example/' }, response: { status_code: 404 } },
      url: { path: '/1', query: 'q=1' },
      event: { action: 'allowed', duration: 0, id: batch.records.id[0] },
      user_agent: { original: 'ua "quoted"' },
    });
  });

  it('gives identical lines distinct ids, the same ones on every run, and hands each record out once', () => {
    const ids = () => {
      const stage = new ParseStage('combined');
      stage.add([line(1), line(1), line(2)]);
      return stage.take().records.id;
    };
    const first = ids();
    expect(new Set(first).size).toBe(3);
    expect(ids()).toEqual(first);
    const stage = new ParseStage('combined');
    stage.add([line(1)]);
    expect(stage.take().records.id).toHaveLength(1);
    expect(stage.take().records.id).toHaveLength(0);
  });

  it('detects the format from a short log at the end, keeping the sampled lines’ numbers', () => {
    const stage = new ParseStage('auto');
    stage.add(['', 'garbage', line(3)]);
    expect(stage.take()).toMatchObject({ format: null, linesRead: 3, rejected: 0 });
    const last = stage.take(true);
    expect(last).toMatchObject({ format: 'combined', rejected: 1, rejections: [{ line: 2 }] });
    expect(last.records.id).toHaveLength(1);
  });

  it('throws an ImportError naming the formats when none parses the sample', () => {
    const stage = new ParseStage('auto');
    stage.add(['hello', 'world']);
    expect(() => stage.take(true)).toThrow(ImportError);
    expect(() => new ParseStage('auto').add(Array(20).fill('hello'))).toThrow(/cannot tell the log format/);
  });
});
