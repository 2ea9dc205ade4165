import { describe, expect, it } from 'vitest';
import {
  countLines,
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

  it('counts records by lines (CSV less its header) or estimates JSON by size', () => {
    expect(countLines(new TextEncoder().encode('a\nb\nc\n'))).toBe(3);
    expect(recordsReceived('ndjson', 900, 3)).toBe(3);
    expect(recordsReceived('csv', 900, 3)).toBe(2);
    expect(recordsReceived('json', 3000, 0)).toBe(10);
  });

  it('says how much arrived', () => {
    expect(progressText('csv', 1_200_000, 4001, 'en-US')).toBe('1.2 MB received · 4,000 records');
    expect(progressText('json', 3000, 0, 'en-US')).toBe('3 kB received · ≈ 10 records');
  });
});
