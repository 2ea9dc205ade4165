import { describe, expect, it } from 'vitest';
import {
  allRejectedMessage,
  importedHoursQuery,
  importedRequestsHash,
  importPercent,
  monitorRunText,
  progressText,
  summaryRows,
  unlistedRejections,
} from '../../renderer/src/import-summary.js';
import { parseRoute } from '../../renderer/src/route.js';
import type { ImportSummary } from '../../renderer/src/types.js';

const progress = {
  linesRead: 12_345,
  imported: 12_000,
  duplicates: 0,
  rejected: 3,
  empty: 0,
  bytesRead: 452,
  totalBytes: 1000,
  elapsedMs: 500,
};

const summary: ImportSummary = {
  ...progress,
  format: 'combined',
  earliest: '2015-05-17T10:05:03.000Z',
  latest: '2015-05-20T21:05:15.000Z',
  rejections: [{ line: 2, reason: 'not combined format' }],
  linesPerSecond: 24_690,
};

describe('import panel words', () => {
  it('offers detection over the imported records on whole hours, and says what it found', () => {
    expect(importedHoursQuery(summary)).toBe(
      '?since=2015-05-17T10:00:00.000Z&until=2015-05-20T22:00:00.000Z',
    );
    expect(importedHoursQuery({ ...summary, earliest: null, latest: null })).toBeNull();
    const run = (findings: number, windows = 84) => ({
      run: { outcome: 'succeeded', summary: { windows, findings: Array(findings).fill({}) } },
    });
    expect(monitorRunText(run(1))).toBe('Checked 84 hours: 1 flag raised or refreshed.');
    expect(monitorRunText(run(12, 1))).toBe('Checked 1 hour: 12 flags raised or refreshed.');
    expect(monitorRunText({ run: { outcome: 'failed', error: 'boom' } })).toBe('Detection failed: boom');
  });

  it('says so when every line was rejected, naming the format used', () => {
    expect(allRejectedMessage(summary)).toBeNull();
    const none = { ...summary, format: 'nginx-json' as const, imported: 0, rejected: 303 };
    expect(allRejectedMessage(none)).toBe(
      'Nothing was imported: all 303 non-empty lines were rejected as nginx-json. If the log is in another format, import it again with that format or Auto.',
    );
    expect(allRejectedMessage({ ...none, duplicates: 5 })).toBeNull(); // imported before: not a failure
    expect(allRejectedMessage({ ...none, rejected: 0 })).toBeNull(); // an empty file
  });

  it('shows lines read, the percent when the size is known, and rejections', () => {
    expect(importPercent(progress)).toBe(45.2);
    expect(progressText(progress)).toBe('12,345 lines read · 45.2% · 3 rejected');
    expect(importPercent({ ...progress, totalBytes: undefined })).toBeNull();
    expect(progressText({ ...progress, totalBytes: undefined, rejected: 0 })).toBe('12,345 lines read');
    expect(importPercent({ ...progress, bytesRead: 2000 })).toBe(100);
  });

  it('lists the counts and says how many rejections are not listed', () => {
    expect(summaryRows(summary)).toContainEqual(['Imported', '12,000']);
    expect(summaryRows(summary).at(-1)).toEqual(['Took', '0.50 s (24,690 lines/s)']);
    expect(unlistedRejections(summary)).toBe(2);
  });

  it('links to the request log over the imported records’ whole minutes', () => {
    const hash = importedRequestsHash(summary) as string;
    expect(parseRoute(hash)).toEqual({
      name: 'requests',
      query: { since: '2015-05-17T10:05:00.000Z', until: '2015-05-20T21:06:00.000Z' },
    });
    expect(importedRequestsHash({ ...summary, earliest: null, latest: null })).toBeNull();
  });
});
