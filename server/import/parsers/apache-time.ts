const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/** `dd/Mon/yyyy:HH:MM:SS ±hhmm`: 26 characters, fixed positions. */
const LENGTH = 26;
/** Positions of the digits, 0-based, and the separators that must sit between them. */
const DIGITS = [0, 1, 7, 8, 9, 10, 12, 13, 15, 16, 18, 19, 22, 23, 24, 25];
const SEPARATORS: readonly [number, string][] = [
  [2, '/'],
  [6, '/'],
  [11, ':'],
  [14, ':'],
  [17, ':'],
  [20, ' '],
];

interface ApacheTimeParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Offset east of UTC, minutes. */
  offsetMin: number;
}

/** Two digits at `at` as a number (the caller checked they are digits). */
function two(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
}

function parts(text: string): ApacheTimeParts | null {
  if (text.length !== LENGTH) return null;
  for (const at of DIGITS) {
    const c = text.charCodeAt(at);
    if (c < 48 || c > 57) return null;
  }
  for (const [at, char] of SEPARATORS) if (text[at] !== char) return null;
  const sign = text[21];
  if (sign !== '+' && sign !== '-') return null;
  const month = MONTHS[text.slice(3, 6)];
  if (month === undefined) return null;
  const hour = two(text, 12);
  const minute = two(text, 15);
  const second = two(text, 18);
  if (hour > 23 || minute > 59 || second > 60) return null;
  const offsetMin = two(text, 22) * 60 + two(text, 24);
  return {
    year: two(text, 7) * 100 + two(text, 9),
    month,
    day: two(text, 0),
    hour,
    minute,
    second,
    offsetMin: sign === '-' ? -offsetMin : offsetMin,
  };
}

function toMs(p: ApacheTimeParts): number | null {
  const local = Date.UTC(p.year, p.month, p.day, p.hour, p.minute, p.second);
  // Date.UTC rolls 31/Feb over into March: check the day survived.
  if (new Date(local).getUTCDate() !== p.day) return null;
  return local - p.offsetMin * 60_000;
}

/**
 * Apache/nginx `%t` / `$time_local` (`17/May/2015:10:05:03 +0000`) → epoch ms, or null when the text
 * is not that form or names an impossible time (31/Feb, 25:00). The offset is applied, so the result
 * is UTC. Format: Apache mod_log_config `%t` (https://httpd.apache.org/docs/2.4/mod/mod_log_config.html).
 */
export function parseApacheTime(text: string): number | null {
  const p = parts(text);
  return p === null ? null : toMs(p);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = month === 1 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return leap ? 29 : (DAYS_IN_MONTH[month] as number);
}

/**
 * The same time as {@link parseApacheTime}, as `Date#toISOString()` text (`2015-05-17T10:05:03.000Z`),
 * or null. A UTC time (`+0000`, what most servers log) is rewritten field by field without a Date:
 * the import's hot path.
 */
export function apacheTimeToIso(text: string): string | null {
  const p = parts(text);
  if (p === null) return null;
  if (p.offsetMin !== 0 || p.second === 60 || p.year < 1000) {
    const ms = toMs(p);
    return ms === null ? null : new Date(ms).toISOString();
  }
  if (p.day < 1 || p.day > daysIn(p.year, p.month)) return null;
  const mm = p.month < 9 ? `0${p.month + 1}` : `${p.month + 1}`;
  return `${text.slice(7, 11)}-${mm}-${text.slice(0, 2)}T${text.slice(12, 20)}.000Z`;
}
