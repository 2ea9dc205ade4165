import { describe, expect, it } from 'vitest';
import {
  countryName,
  countTick,
  formatBytes,
  formatDateAndTime,
  formatDateTime,
  formatDurationNs,
  formatNumber,
  formatPercent,
  formatRelative,
} from '../../renderer/src/format.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');

describe('number formatting', () => {
  it('groups digits for the locale', () => {
    expect(formatNumber(1234567, 'en-US')).toBe('1,234,567');
    expect(formatNumber(1234567, 'de-DE')).toBe('1.234.567');
  });

  it('formats shares, sizes and durations', () => {
    expect(formatPercent(0.1234, 'en-US')).toBe('12.3%');
    expect(formatBytes(12, 'en-US')).toBe('12 bytes');
    expect(formatBytes(1534, 'en-US')).toBe('1.5 kB');
    expect(formatBytes(2_500_000, 'en-US')).toBe('2.5 MB');
    expect(formatDurationNs(1_834_211, 'en-US')).toBe('1.8 ms');
    expect(formatDurationNs(45_000_000, 'en-US')).toBe('45 ms');
    expect(formatDurationNs(2_500_000_000, 'en-US')).toBe('2.5 sec');
  });
});

describe('time formatting', () => {
  it('gives a date and its time of day apart (two lines of an imported record), together the date-time', () => {
    const [date, time] = formatDateAndTime('2015-05-17T10:05:03Z', 'en');
    expect(date).toContain('2015');
    expect(time).not.toContain('2015');
    expect(`${date}, ${time}`).toBe(formatDateTime('2015-05-17T10:05:03Z', 'en'));
    expect(formatDateAndTime('not a time', 'en')).toEqual(['not a time', '']);
  });

  it('says how long ago, in the largest fitting unit', () => {
    expect(formatRelative(NOW - 3 * 60_000, NOW, 'en')).toBe('3 minutes ago');
    expect(formatRelative(NOW - 5_000, NOW, 'en')).toBe('now');
    // A 7-day block made a moment ago: rounded, not cut to 6 days.
    expect(formatRelative(NOW + 7 * 86_400_000 - 1_500, NOW, 'en')).toBe('next week');
    expect(formatRelative(NOW + 6 * 86_400_000 - 1_500, NOW, 'en')).toBe('in 6 days');
    expect(formatRelative(NOW + 59_600, NOW, 'en')).toBe('in 1 minute');
    expect(formatRelative(NOW + 23.7 * 3_600_000, NOW, 'en')).toBe('tomorrow');
    expect(formatRelative(NOW - (3 * 60_000 + 40_000), NOW, 'en')).toBe('4 minutes ago');
    expect(formatRelative(NOW - 2 * 3_600_000, NOW, 'en')).toBe('2 hours ago');
    expect(formatRelative(NOW - 86_400_000, NOW, 'en')).toBe('yesterday');
    expect(formatRelative(NOW + 7 * 86_400_000, NOW, 'en')).toBe('next week');
    expect(formatRelative(NOW + 3 * 86_400_000, NOW, 'en')).toBe('in 3 days');
  });

  it('formats absolute times in the given zone and passes bad input through', () => {
    expect(formatDateTime('2026-11-22T03:20:07Z', 'en-GB', 'UTC')).toBe('22 Nov 2026, 03:20:07');
    expect(formatDateTime('not a time', 'en-GB', 'UTC')).toBe('not a time');
  });

  it('names countries in the operator language and survives odd codes', () => {
    expect(countryName('GB', 'en')).toBe('United Kingdom');
    expect(countryName('DE', 'de')).toBe('Deutschland');
    expect(countryName('not-a-code', 'en')).toBe('not-a-code');
  });

  it('labels count ticks with whole numbers only', () => {
    expect(['1', 1.5, 2, 10, 12_000].map((v) => countTick(v, 'en-US'))).toEqual([
      '1',
      '',
      '2',
      '10',
      '12,000',
    ]);
  });
});
