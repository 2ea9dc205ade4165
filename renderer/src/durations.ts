/**
 * Durations as operators write them (`500ms`, `30s`, `5m`, `1h`, `7d`, `2w`; README "Options")
 * and as the API stores them (ms). Pure.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Units tried when formatting, largest first. Weeks are left out: operators think "7d", "14d". */
const FORMAT_UNITS = ['d', 'h', 'm', 's'] as const;

/**
 * Parses `"7d"`, `"90 m"`, `"1.5h"` or a bare number of ms (`"60000"`) into ms. Returns null for
 * anything else, including negatives.
 */
export function parseDuration(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  if (match === null) return null;
  const value = Number(match[1]);
  const unit = UNIT_MS[(match[2] ?? 'ms').toLowerCase()];
  if (unit === undefined || !Number.isFinite(value)) return null;
  return Math.round(value * unit);
}

/**
 * Formats ms in the largest unit that divides it exactly: `604800000` → `"7d"`, `90000` → `"90s"`,
 * `1500` → `"1500ms"`. A string (the API may echo one) is returned as is.
 */
export function formatDuration(value: number | string): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value) || value < 0) return String(value);
  if (value === 0) return '0s';
  for (const unit of FORMAT_UNITS) {
    const size = UNIT_MS[unit] ?? 1;
    if (value % size === 0) return `${value / size}${unit}`;
  }
  return `${value}ms`;
}
