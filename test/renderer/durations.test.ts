import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../renderer/src/durations.js';

describe('durations', () => {
  it('parses the units the README lists', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    expect(parseDuration(' 1.5h ')).toBe(5_400_000);
    expect(parseDuration('60000')).toBe(60_000);
  });

  it('refuses anything else', () => {
    for (const text of ['', 'soon', '-1h', '7 days', '1y', '1h30m']) expect(parseDuration(text)).toBeNull();
  });

  it('formats ms in the largest exact unit, days rather than weeks', () => {
    expect(formatDuration(604_800_000)).toBe('7d');
    expect(formatDuration(7_776_000_000)).toBe('90d');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1_500)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration('7d')).toBe('7d');
  });

  it('round-trips', () => {
    for (const ms of [1_000, 60_000, 300_000, 86_400_000, 1_234])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
