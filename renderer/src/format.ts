/**
 * Locale-aware formatting of numbers, sizes, times and durations. Pure (no DOM): every function
 * takes an optional BCP 47 `locale`; left out, the operator's browser locale applies.
 */

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (format === undefined) {
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(key, format);
  }
  return format;
}

/** `12345` → `12,345` (in en). */
export function formatNumber(value: number, locale?: string): string {
  return numberFormat(locale).format(value);
}

/** A share as a percentage: `0.1234` → `12.3%`. */
export function formatPercent(share: number, locale?: string): string {
  return numberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(share);
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;

/** A byte count in decimal units: `1534` → `1.5 kB`, `12` → `12 byte`. */
export function formatBytes(bytes: number, locale?: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // Whole bytes in words (`1 byte`, `97 bytes`): the short form says `97 byte`.
  return numberFormat(locale, {
    style: 'unit',
    unit: BYTE_UNITS[unit],
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}

/** A duration given in nanoseconds (ECS `event.duration`): `1834211` → `1.8 ms`. */
export function formatDurationNs(ns: number, locale?: string): string {
  const ms = ns / 1e6;
  if (ms >= 1000) {
    return numberFormat(locale, { style: 'unit', unit: 'second', maximumFractionDigits: 2 }).format(
      ms / 1000,
    );
  }
  return numberFormat(locale, {
    style: 'unit',
    unit: 'millisecond',
    maximumFractionDigits: ms < 10 ? 1 : 0,
  }).format(ms);
}

/** An absolute date and time in the operator's locale and time zone: `22 Nov 2026, 03:20:07`. */
export function formatDateTime(iso: string | number | Date, locale?: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone }).format(date);
}

/**
 * An absolute local time as its date and its time of day, apart (`["May 17, 2016", "10:05:56 AM"]`),
 * for a narrow column that shows them on two lines. A malformed time is the text as it came, alone.
 */
export function formatDateAndTime(iso: string | number | Date, locale?: string): [string, string] {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return [String(iso), ''];
  return [
    new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(date),
    new Intl.DateTimeFormat(locale, { timeStyle: 'medium' }).format(date),
  ];
}

/**
 * A short label for a chart axis bucket starting at `ms`: a time of day, a date and time, or a date
 * with its year. Dates of day buckets are UTC days (the server's buckets), so they are shown in UTC.
 */
export function formatAxisTime(
  ms: number,
  labels: 'time' | 'date-time' | 'date',
  locale?: string,
  timeZone?: string,
): string {
  const options: Intl.DateTimeFormatOptions =
    labels === 'date'
      ? { year: 'numeric', month: 'short', day: 'numeric', timeZone: timeZone ?? 'UTC' }
      : labels === 'date-time'
        ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone }
        : { hour: '2-digit', minute: '2-digit', timeZone };
  return new Intl.DateTimeFormat(locale, options).format(new Date(ms));
}

const RELATIVE_STEPS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 4.345],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/**
 * A time relative to `now` (ms since epoch): `3 minutes ago`, `in 2 days`, `now`. Differences under
 * ten seconds read as "now". Rounded to the nearest in the largest unit it stays under once rounded:
 * a 7-day block made a moment ago lapses `next week`, not `in 6 days`, and 59.6 s reads `in 1 minute`.
 */
export function formatRelative(iso: string | number | Date, now: number, locale?: string): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return String(iso);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  let value = (then - now) / 1000;
  if (Math.abs(value) < 10) return format.format(0, 'second');
  for (const [unit, size] of RELATIVE_STEPS) {
    const rounded = Math.round(value);
    if (Math.abs(rounded) < size) return format.format(rounded, unit);
    value /= size;
  }
  return format.format(Math.round(value), 'year');
}

const regionNames = new Map<string, Intl.DisplayNames>();

/** The name of an ISO 3166-1 alpha-2 region in the operator's language (`GB` → `United Kingdom`). */
export function countryName(code: string, locale?: string): string {
  let names = regionNames.get(locale ?? '');
  if (names === undefined) {
    names = new Intl.DisplayNames(locale === undefined ? undefined : [locale], { type: 'region' });
    regionNames.set(locale ?? '', names);
  }
  try {
    return names.of(code) ?? code;
  } catch {
    // Intl.DisplayNames throws a RangeError for codes that are not well-formed regions (e.g. "EU1").
    return code;
  }
}

/**
 * The label of an axis tick that counts requests: the whole number formatted (`12,000`), or no
 * label for a fractional tick, which a logarithmic scale puts between 1 and 10 (`1.50`).
 */
export function countTick(value: number | string, locale?: string): string {
  const n = Number(value);
  return Number.isInteger(n) ? formatNumber(n, locale) : '';
}
