import { describe, expect, it } from 'vitest';
import { evidenceSummary, reasonLabel, samplePaths, windowMinutes } from '../../renderer/src/evidence.js';

describe('flag evidence', () => {
  it('summarises a live flag: count, window and threshold', () => {
    const summary = evidenceSummary(
      {
        reason: 'failed_logins',
        request_count: 30,
        details: {
          count: 30,
          threshold: 10,
          window: { minutes: 60, end: '2026-11-22T03:00:00Z' },
          source: 'live',
        },
      },
      'en-US',
    );
    expect(summary).toBe('30 failed logins in 60 min (> 10)');
  });

  it('summarises a monitor flag from its window start and end', () => {
    const summary = evidenceSummary(
      {
        reason: 'high_volume',
        request_count: 1500,
        details: {
          count: 1500,
          threshold: 100,
          window: { start: '2026-11-22T02:00:00Z', end: '2026-11-22T03:00:00Z' },
        },
      },
      'en-US',
    );
    expect(summary).toBe('1,500 requests in 60 min (> 100)');
  });

  it('summarises an ML outlier by its score', () => {
    const summary = evidenceSummary(
      { reason: 'ml_outlier', request_count: 240, details: { count: 240, score: 0.82, threshold: 0.7 } },
      'en-US',
    );
    expect(summary).toBe('anomaly score 0.82 (≥ 0.7) over 240 requests');
  });

  it('falls back to the request count when the details are thin', () => {
    expect(evidenceSummary({ reason: 'admin_access', request_count: 4, details: {} }, 'en-US')).toBe(
      '4 admin-path hits',
    );
    expect(evidenceSummary({ reason: 'new_reason', request_count: 9, details: {} }, 'en-US')).toBe(
      '9 requests',
    );
  });

  it('labels reasons and keeps unknown codes', () => {
    expect(reasonLabel('sensitive_paths')).toBe('Sensitive paths');
    expect(reasonLabel('something_new')).toBe('something_new');
  });

  it('reads windows given as minutes, ms or a range', () => {
    expect(windowMinutes({ minutes: 30 })).toBe(30);
    expect(windowMinutes(3_600_000)).toBe(60);
    expect(windowMinutes({ start: '2026-11-22T00:00:00Z', end: '2026-11-22T02:00:00Z' })).toBe(120);
    expect(windowMinutes(undefined)).toBeUndefined();
  });

  it('keeps only string sample paths, at most five', () => {
    expect(samplePaths({ samplePaths: ['/a', 2, '/b', '/c', '/d', '/e', '/f'] as never })).toEqual([
      '/a',
      '/b',
      '/c',
      '/d',
      '/e',
    ]);
    expect(samplePaths({})).toEqual([]);
  });
});
