import { describe, expect, it } from 'vitest';
import { beyondRetention, formatSummary } from '../../../server/import/format-summary.js';
import type { ImportSummary } from '../../../server/import/run-import.js';

const DAY = 86_400_000;
const summary = (earliest: string | null): ImportSummary => ({
  format: 'combined',
  linesRead: 1,
  imported: 1,
  duplicates: 0,
  rejected: 0,
  empty: 0,
  earliest,
  latest: earliest,
  rejections: [],
  elapsedMs: 10,
  linesPerSecond: 100,
});

describe('beyondRetention', () => {
  it("warns for the days the retention job's next run (00:30 UTC) deletes, the boundary day included", () => {
    const noon = Date.parse('2026-06-10T12:00:00Z'); // next run: 06-11 00:30, which keeps 03-13 on
    expect(beyondRetention(summary('2026-03-12T23:00:00Z'), 90 * DAY, noon).beyondRetention).toEqual({
      retentionDays: 90,
      firstKeptDay: '2026-03-13',
    });
    expect(beyondRetention(summary('2026-03-13T00:00:00Z'), 90 * DAY, noon).beyondRetention).toBeUndefined();
    // Before today's run, today's run is the next one.
    const early = Date.parse('2026-06-10T00:10:00Z');
    expect(beyondRetention(summary('2026-03-12T00:00:00Z'), 90 * DAY, early).beyondRetention).toBeUndefined();
    expect(beyondRetention(summary(null), 90 * DAY, noon).beyondRetention).toBeUndefined();
  });

  it('is printed as a warning line in the summary', () => {
    const text = formatSummary(
      beyondRetention(summary('2015-05-17T10:05:03Z'), 90 * DAY, Date.parse('2026-06-10T12:00:00Z')),
      'x.log',
    );
    expect(text).toContain(
      '  warning: records before 2026-03-13 are older than the 90-day retention: the retention job deletes them at its next run (00:30 UTC); raise detection.retention in the settings to keep them\n',
    );
  });
});
