import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/** One request log segment file: `name` is `YYYY-MM-DD.ndjson`, `day` the UTC day, `bytes` its size. */
export interface SegmentInfo {
  name: string;
  day: string;
  bytes: number;
}

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const SEGMENT_PATTERN = /^(\d{4}-\d{2}-\d{2})\.ndjson$/;
/** `Date#toISOString()` output with a valid time of day; only the day part still needs checking. */
const CANONICAL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
/** The last day prefix found valid: almost every record of a batch shares it, so skip Date parsing. */
let lastValidDay = '';

/** The file name of the segment for a UTC `day` (`YYYY-MM-DD`): `YYYY-MM-DD.ndjson`. */
export function segmentName(day: string): string {
  return `${day}.ndjson`;
}

/** True when `day` is a real calendar day written `YYYY-MM-DD` (so `2024-02-30` is false). */
export function isValidDay(day: string): boolean {
  if (!DAY_PATTERN.test(day)) return false;
  const ms = Date.parse(`${day}T00:00:00.000Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(day);
}

/**
 * The UTC day (`YYYY-MM-DD`) whose segment holds a record with this `@timestamp`, or null when the
 * timestamp does not parse or falls outside years 0000–9999. Offsets are converted to UTC.
 */
export function segmentDayOf(timestamp: string): string | null {
  if (CANONICAL_TIMESTAMP.test(timestamp)) {
    const day = timestamp.slice(0, 10);
    // The day text every record of the day shares: a pending record holds no copy of its own.
    if (day === lastValidDay) return lastValidDay;
    if (isValidDay(day)) {
      lastValidDay = day;
      return day;
    }
    return null;
  }
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) return null;
  const day = new Date(ms).toISOString().slice(0, 10);
  return DAY_PATTERN.test(day) ? day : null;
}

/** Start of a UTC `day` in epoch milliseconds. */
function dayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`);
}

/**
 * Lists the segment files in `dir`, oldest day first. Other files (temp files, notes) are ignored;
 * a missing `dir` lists as empty. Rejects on other file system errors.
 */
export async function listSegmentFiles(dir: string): Promise<SegmentInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const segments: SegmentInfo[] = [];
  for (const name of names) {
    const day = SEGMENT_PATTERN.exec(name)?.[1];
    if (day === undefined || !isValidDay(day)) continue;
    try {
      const info = await stat(path.join(dir, name));
      if (info.isFile()) segments.push({ name, day, bytes: info.size });
    } catch (err) {
      // Deleted by retention between readdir and stat: it is simply gone.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return segments.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/**
 * The segments whose UTC day intersects `[since, until)`; either bound may be omitted. Keeps the
 * input order.
 */
export function segmentsInRange(segments: SegmentInfo[], since?: Date, until?: Date): SegmentInfo[] {
  const sinceMs = since?.getTime() ?? Number.NEGATIVE_INFINITY;
  const untilMs = until?.getTime() ?? Number.POSITIVE_INFINITY;
  return segments.filter((segment) => {
    const start = dayStartMs(segment.day);
    return start < untilMs && start + DAY_MS > sinceMs;
  });
}

/**
 * Deletes every segment in `dir` whose day is before `day` (`YYYY-MM-DD`, exclusive), whole files
 * only, and returns the deleted file names, oldest first. Throws RangeError for a malformed `day`.
 */
export async function deleteSegmentFilesBefore(dir: string, day: string): Promise<string[]> {
  if (!isValidDay(day)) throw new RangeError(`day must be a calendar day written YYYY-MM-DD, got "${day}"`);
  const deleted: string[] = [];
  for (const segment of await listSegmentFiles(dir)) {
    if (segment.day >= day) break;
    try {
      await unlink(path.join(dir, segment.name));
      deleted.push(segment.name);
    } catch (err) {
      // Another purge got there first: the segment is gone either way.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return deleted;
}
