/**
 * The dashboard's time ranges and request-timeline buckets. Pure: `now` is always passed in.
 */
import type { RequestAction, TimelinePoint } from './types.js';

export type RangePreset = '1h' | '24h' | '7d';
export type Bucket = 'minute' | 'hour' | 'day';

/** A half-open range `[since, until)` in ms since epoch; `live` ranges follow the clock. */
export interface TimeRange {
  since: number;
  until: number;
  live: boolean;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const PRESET_MS: Readonly<Record<RangePreset, number>> = {
  '1h': HOUR_MS,
  '24h': 24 * HOUR_MS,
  '7d': 7 * 24 * HOUR_MS,
};

/**
 * The preset range ending now, starting on the whole hour at or before `now − preset` (so "last
 * hour" covers one to two hours). Whole hours let the server answer from its hourly rollups
 * instead of re-reading the log, which keeps the dashboard fast on large logs.
 */
export function presetRange(preset: RangePreset, now: number): TimeRange {
  return { since: Math.floor((now - PRESET_MS[preset]) / HOUR_MS) * HOUR_MS, until: now, live: true };
}

/**
 * A custom range from two `YYYY-MM-DD` dates, inclusive of both days, in the operator's time zone.
 * Returns null when a date is malformed or `from` is after `to`.
 */
export function dateRange(from: string, to: string, now: number): TimeRange | null {
  const start = localMidnight(from);
  const end = localMidnight(to);
  if (start === null || end === null || start > end) return null;
  const endDate = new Date(end);
  const until = new Date(endDate.getFullYear(), endDate.getMonth(), endDate.getDate() + 1).getTime();
  return { since: start, until, live: until > now };
}

/** What the range picker chose: a preset, or custom from/to dates (`YYYY-MM-DD`). */
export type RangeChoice = { preset: RangePreset } | { from: string; to: string };

/** The range a choice stands for, now. Null for a malformed custom choice. */
export function resolveRange(choice: RangeChoice, now = Date.now()): TimeRange | null {
  return 'preset' in choice ? presetRange(choice.preset, now) : dateRange(choice.from, choice.to, now);
}

/**
 * The choice an address's query names: `range=1h|24h|7d`, or `from` and `to` dates
 * (`YYYY-MM-DD`, from on or before to). Null when it names none or a malformed one.
 */
export function choiceFromQuery(query: Readonly<Record<string, string | undefined>>): RangeChoice | null {
  const preset = Object.keys(PRESET_MS).find((p) => p === query.range) as RangePreset | undefined;
  if (preset !== undefined) return { preset };
  if (query.from === undefined || query.to === undefined) return null;
  const choice = { from: query.from, to: query.to };
  return resolveRange(choice) === null ? null : choice;
}

/** The address query of a choice; the inverse of {@link choiceFromQuery}. */
export function choiceQuery(choice: RangeChoice): Record<string, string> {
  return 'preset' in choice ? { range: choice.preset } : { from: choice.from, to: choice.to };
}

function localMidnight(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(date.getTime()) ? null : date.getTime();
}

/**
 * The API bucket for a range: per minute up to two hours (the "last hour" preset), per hour up to
 * eight days (the "7 days" preset, or a custom week), per UTC day beyond, so a custom range of years
 * is a few thousand bars, not a hundred thousand.
 */
export function bucketFor(range: Pick<TimeRange, 'since' | 'until'>): Bucket {
  const length = range.until - range.since;
  if (length <= 2 * HOUR_MS) return 'minute';
  return length <= 8 * DAY_MS ? 'hour' : 'day';
}

/** The bucket length in ms. */
export function bucketMs(bucket: Bucket): number {
  return bucket === 'minute' ? MINUTE_MS : bucket === 'hour' ? HOUR_MS : DAY_MS;
}

/** How the timeline's axis labels a range's buckets: times, dates and times, or dates (with the year). */
export type AxisLabels = 'time' | 'date-time' | 'date';

/** The axis labels for `range`: times within a day, dates and times up to day buckets, dates beyond. */
export function axisLabelsFor(range: Pick<TimeRange, 'since' | 'until'>): AxisLabels {
  if (bucketFor(range) === 'day') return 'date';
  return range.until - range.since > DAY_MS ? 'date-time' : 'time';
}

/** The start of the bucket holding `t` (UTC-aligned, like the server's buckets). */
export function bucketStart(t: number, bucket: Bucket): number {
  const size = bucketMs(bucket);
  return Math.floor(t / size) * size;
}

/** A timeline bucket with its start as ms. */
export interface Slot {
  t: number;
  allowed: number;
  blocked: number;
  rateLimited: number;
}

/**
 * Every bucket of `range`, oldest first, with the server's counts filled in and zeros elsewhere
 * (the server may leave empty buckets out). Points outside the range are dropped.
 */
export function fillTimeline(
  points: readonly TimelinePoint[],
  range: Pick<TimeRange, 'since' | 'until'>,
  bucket: Bucket,
): Slot[] {
  const size = bucketMs(bucket);
  const first = bucketStart(range.since, bucket);
  const slots: Slot[] = [];
  for (let t = first; t < range.until; t += size) slots.push({ t, allowed: 0, blocked: 0, rateLimited: 0 });
  for (const point of points) {
    const t = bucketStart(Date.parse(point.t), bucket);
    const slot = slots[(t - first) / size];
    if (slot === undefined) continue;
    slot.allowed += point.allowed;
    slot.blocked += point.blocked;
    slot.rateLimited += point.rateLimited;
  }
  return slots;
}

/** Requests by action, as a live update brings them. */
export type ActionCounts = Pick<Slot, 'allowed' | 'blocked' | 'rateLimited'>;

/** One request with `action`, as {@link ActionCounts}. */
export function countsOf(action: RequestAction): ActionCounts {
  return {
    allowed: action === 'allowed' ? 1 : 0,
    blocked: action === 'blocked' ? 1 : 0,
    rateLimited: action === 'rate_limited' ? 1 : 0,
  };
}

/**
 * Adds live counts at time `t` to `slots` (mutated): into its bucket, or — when `t` is past the
 * last bucket — into a new one, dropping the oldest buckets so the window length stays the same.
 * Counts older than the first bucket are dropped. Returns true when buckets were added.
 */
export function addToTimeline(slots: Slot[], t: number, counts: ActionCounts, bucket: Bucket): boolean {
  const start = bucketStart(t, bucket);
  const size = bucketMs(bucket);
  let shifted = false;
  let last = slots.at(-1);
  while (last !== undefined && start > last.t) {
    slots.push({ t: last.t + size, allowed: 0, blocked: 0, rateLimited: 0 });
    slots.shift();
    last = slots.at(-1);
    shifted = true;
  }
  const slot = slots.find((s) => s.t === start);
  if (slot !== undefined) {
    slot.allowed += counts.allowed;
    slot.blocked += counts.blocked;
    slot.rateLimited += counts.rateLimited;
  }
  return shifted;
}
