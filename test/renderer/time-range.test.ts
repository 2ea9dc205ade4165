import { describe, expect, it } from 'vitest';
import {
  addToTimeline,
  axisLabelsFor,
  bucketFor,
  countsOf,
  dateRange,
  fillTimeline,
  presetRange,
} from '../../renderer/src/time-range.js';

const NOW = Date.parse('2026-11-22T12:34:56Z');
const MIN = 60_000;
const HOUR = 3_600_000;

describe('dashboard ranges', () => {
  it('uses minute buckets up to an hour and hour buckets beyond', () => {
    expect(bucketFor(presetRange('1h', NOW))).toBe('minute');
    expect(bucketFor(presetRange('24h', NOW))).toBe('hour');
    expect(bucketFor(presetRange('7d', NOW))).toBe('hour');
  });

  it('uses day buckets, labelled with their year, for ranges over eight days', () => {
    const years = dateRange('2015-05-17', '2026-12-07', NOW);
    if (years === null) throw new Error('a valid range');
    expect(bucketFor(years)).toBe('day');
    expect(axisLabelsFor(years)).toBe('date');
    // About 4,220 bars for eleven and a half years, where hour buckets made over 100,000.
    expect(fillTimeline([], years, 'day').length).toBeLessThan(4_300);
    expect(axisLabelsFor(presetRange('7d', NOW))).toBe('date-time');
    expect(axisLabelsFor(presetRange('1h', NOW))).toBe('time');
  });

  it('starts presets on a whole hour so the server answers from hourly rollups', () => {
    for (const preset of ['1h', '24h', '7d'] as const) {
      const range = presetRange(preset, NOW);
      expect(range.since % 3_600_000).toBe(0);
      expect(range.until).toBe(NOW);
    }
    expect(NOW - presetRange('24h', NOW).since).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(NOW - presetRange('24h', NOW).since).toBeLessThan(25 * 3_600_000);
  });

  it('turns two dates into whole local days, refusing reversed ones', () => {
    const range = dateRange('2026-11-01', '2026-11-02', NOW);
    expect(range).not.toBeNull();
    expect(new Date(range?.since ?? 0).getDate()).toBe(1);
    expect((range?.until ?? 0) - (range?.since ?? 0)).toBeGreaterThanOrEqual(47 * HOUR);
    expect(range?.live).toBe(false);
    expect(dateRange('2026-11-03', '2026-11-02', NOW)).toBeNull();
    expect(dateRange('yesterday', '2026-11-02', NOW)).toBeNull();
  });
});

describe('timeline', () => {
  const range = { since: NOW - HOUR, until: NOW };

  it('fills every bucket of the range, zeros where the server sent none', () => {
    const slots = fillTimeline(
      [{ t: new Date(NOW - 10 * MIN).toISOString(), allowed: 5, blocked: 1, rateLimited: 2 }],
      range,
      'minute',
    );
    expect(slots.length).toBe(61);
    expect(slots.reduce((n, s) => n + s.allowed + s.blocked + s.rateLimited, 0)).toBe(8);
    expect(slots.at(-1)?.t).toBe(Math.floor(NOW / MIN) * MIN);
  });

  it('drops points outside the range', () => {
    const slots = fillTimeline(
      [{ t: new Date(NOW - 3 * HOUR).toISOString(), allowed: 9, blocked: 0, rateLimited: 0 }],
      range,
      'minute',
    );
    expect(slots.every((s) => s.allowed === 0)).toBe(true);
  });

  it('counts live requests into the current bucket', () => {
    const slots = fillTimeline([], range, 'minute');
    const shifted = addToTimeline(slots, NOW, countsOf('blocked'), 'minute');
    expect(shifted).toBe(false);
    expect(slots.at(-1)?.blocked).toBe(1);
  });

  it('slides the window when time moves past the last bucket', () => {
    const slots = fillTimeline([], range, 'minute');
    const first = slots[0]?.t;
    const shifted = addToTimeline(slots, NOW + 2 * MIN, { allowed: 3, blocked: 0, rateLimited: 1 }, 'minute');
    expect(shifted).toBe(true);
    expect(slots.length).toBe(61);
    expect(slots[0]?.t).toBe((first ?? 0) + 2 * MIN);
    expect(slots.at(-1)).toMatchObject({ allowed: 3, rateLimited: 1 });
  });
});
