import { describe, expect, it } from 'vitest';
import {
  isValidDay,
  type SegmentInfo,
  segmentDayOf,
  segmentsInRange,
} from '../../../server/store/segment-files.js';

describe('segment files', () => {
  it('picks the UTC day of a timestamp, converting offsets', () => {
    expect(segmentDayOf('2024-03-01T23:59:59.999Z')).toBe('2024-03-01');
    expect(segmentDayOf('2024-03-02T01:30:00.000+02:00')).toBe('2024-03-01');
    expect(segmentDayOf('not a time')).toBeNull();
    expect(segmentDayOf('2024-02-29T12:00:00.000Z')).toBe('2024-02-29');
    expect(segmentDayOf('2023-02-29T12:00:00.000Z')).toBeNull();
    expect(segmentDayOf('+010000-01-01T00:00:00.000Z')).toBeNull();
  });

  it('accepts only real calendar days', () => {
    expect(isValidDay('2024-02-29')).toBe(true);
    expect(isValidDay('2023-02-29')).toBe(false);
    expect(isValidDay('2024-3-1')).toBe(false);
    expect(isValidDay('../2024-03-01')).toBe(false);
  });

  it('selects the segments whose day intersects [since, until)', () => {
    const segments: SegmentInfo[] = ['2024-03-01', '2024-03-02', '2024-03-03'].map((day) => ({
      name: `${day}.ndjson`,
      day,
      bytes: 1,
    }));
    const days = (since?: string, until?: string) =>
      segmentsInRange(segments, since ? new Date(since) : undefined, until ? new Date(until) : undefined).map(
        (segment) => segment.day,
      );
    expect(days()).toEqual(['2024-03-01', '2024-03-02', '2024-03-03']);
    expect(days('2024-03-02T00:00:00Z')).toEqual(['2024-03-02', '2024-03-03']);
    expect(days('2024-03-01T23:59:59.999Z', '2024-03-02T00:00:00Z')).toEqual(['2024-03-01']);
    expect(days(undefined, '2024-03-02T00:00:00.001Z')).toEqual(['2024-03-01', '2024-03-02']);
    expect(days('2024-03-04T00:00:00Z')).toEqual([]);
  });
});
