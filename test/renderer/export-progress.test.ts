import { describe, expect, it } from 'vitest';
import {
  countRecordMarks,
  filenameFromDisposition,
  progressText,
  recordsReceived,
} from '../../renderer/src/export-progress.js';

describe('export progress', () => {
  it('takes the file name from Content-Disposition, without any path', () => {
    expect(filenameFromDisposition('attachment; filename="ipwarden-requests-2026-11-22.csv"', 'x.csv')).toBe(
      'ipwarden-requests-2026-11-22.csv',
    );
    expect(filenameFromDisposition("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.json", 'x')).toBe(
      'résumé.json',
    );
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"', 'x')).toBe('passwd');
    expect(filenameFromDisposition(null, 'fallback.csv')).toBe('fallback.csv');
    expect(filenameFromDisposition('attachment', 'fallback.csv')).toBe('fallback.csv');
  });

  it('counts records by line feeds (CSV less its header), and JSON by the objects that start a line', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(countRecordMarks('ndjson', bytes('{"a":1}\n{"a":2}\n'))).toBe(2);
    expect(recordsReceived('csv', countRecordMarks('csv', bytes('h\nb\nc\n')))).toBe(2);
    // The export's JSON: one object per line; a `\n{` inside a value is escaped, so it does not count.
    const json = '[\n{"path":"/a\\n{x"},\n{"path":"/b"}\n]\n';
    expect(countRecordMarks('json', bytes(json))).toBe(2);
    expect(countRecordMarks('json', bytes('[]\n'))).toBe(0);
    // A mark split between two chunks is counted once.
    const split = json.indexOf('{', 3);
    expect(
      countRecordMarks('json', bytes(json.slice(0, split))) +
        countRecordMarks('json', bytes(json.slice(split)), bytes(json.slice(0, split)).at(-1)),
    ).toBe(2);
  });

  it('says how much arrived, in words for a small export', () => {
    expect(progressText('csv', 1_200_000, 4001, 'en-US')).toBe('1.2 MB received · 4,000 records');
    expect(progressText('json', 97, 1, 'en-US')).toBe('97 bytes received · 1 record');
    expect(progressText('ndjson', 1, 0, 'en-US')).toBe('1 byte received · 0 records');
  });
});
