/**
 * Settings ↔ the text fields of the settings form. Pure: lists are one entry per line, durations
 * are written like `7d`, and fields the form does not show are carried through unchanged.
 */
import { formatDuration, parseDuration } from './durations.js';
import type { RateBudget, RateLimitRule, Settings, ThresholdName } from './types.js';

export const THRESHOLD_NAMES: readonly ThresholdName[] = [
  'high_volume',
  'brute_force',
  'sensitive_paths',
  'failed_logins',
  'admin_access',
];

/**
 * One rate-limit rule as text fields: paths one per line (a path may hold a comma or a space),
 * methods comma- or space-separated.
 */
export interface RateLimitRow {
  name: string;
  paths: string;
  methods: string;
  anonMax: string;
  anonPeriod: string;
  authMax: string;
  authPeriod: string;
}

export interface SettingsFormValues {
  thresholds: Record<ThresholdName, string>;
  sensitivePaths: string;
  adminPaths: string;
  loginPaths: string;
  failedLoginStatuses: string;
  flagTtl: string;
  autoBlockReasons: string;
  autoBlockFor: string;
  retention: string;
  rateLimits: RateLimitRow[];
  trustProxy: string;
}

/** A client-side check that failed, naming the field like the server does (`detection.flagTtl`). */
export interface FieldError {
  field: string;
  message: string;
}

/** Non-empty trimmed lines of a textarea. */
export function parseLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function parseList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** An empty rate-limit row for "Add rule". */
export function emptyRateLimitRow(): RateLimitRow {
  return { name: '', paths: '', methods: 'POST', anonMax: '', anonPeriod: '1m', authMax: '', authPeriod: '' };
}

/** The form's text values for `settings`. */
export function toFormValues(settings: Settings): SettingsFormValues {
  const d = settings.detection;
  const thresholds = Object.fromEntries(
    THRESHOLD_NAMES.map((name) => [name, String(d.thresholds[name] ?? '')]),
  ) as Record<ThresholdName, string>;
  return {
    thresholds,
    sensitivePaths: d.sensitivePaths.join('\n'),
    adminPaths: d.adminPaths.join('\n'),
    loginPaths: d.loginPaths.join('\n'),
    failedLoginStatuses: d.failedLoginStatuses.join(', '),
    flagTtl: formatDuration(d.flagTtl),
    autoBlockReasons: String(d.autoBlockReasons),
    autoBlockFor: formatDuration(d.autoBlockFor),
    retention: formatDuration(d.retention),
    rateLimits: settings.rateLimits.map((rule) => ({
      name: rule.name,
      paths: rule.paths.join('\n'),
      methods: rule.methods.join(', '),
      anonMax: String(rule.anonymous.max),
      anonPeriod: formatDuration(rule.anonymous.period),
      authMax: rule.authenticated === undefined ? '' : String(rule.authenticated.max),
      authPeriod: rule.authenticated === undefined ? '' : formatDuration(rule.authenticated.period),
    })),
    trustProxy: settings.trustProxy.join('\n'),
  };
}

function wholeNumber(text: string, field: string, min: number): number | FieldError {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(value) || value < min) {
    return { field, message: `${field}: expected a whole number ≥ ${min}, got ${JSON.stringify(text)}` };
  }
  return value;
}

/** HTTP statuses (100–599) separated by commas or spaces; none is an empty list, as the server allows. */
function statuses(text: string, field: string): number[] | FieldError {
  const items = parseList(text);
  const bad = items.find((item) => !/^[1-5]\d\d$/.test(item));
  if (bad !== undefined)
    return { field, message: `${field}: expected HTTP statuses like 401, 403, got ${JSON.stringify(bad)}` };
  return items.map(Number);
}

function duration(text: string, field: string): string | FieldError {
  if (parseDuration(text) === null) {
    return {
      field,
      message: `${field}: expected a duration like 30s, 5m, 1h or 7d, got ${JSON.stringify(text)}`,
    };
  }
  return text.trim();
}

function isError(value: unknown): value is FieldError {
  return typeof value === 'object' && value !== null && 'field' in value && 'message' in value;
}

function budget(max: string, period: string, field: string): RateBudget | FieldError {
  const m = wholeNumber(max, `${field}.max`, 1);
  if (isError(m)) return m;
  const p = duration(period, `${field}.period`);
  if (isError(p)) return p;
  return { max: m, period: p };
}

function rateLimitRule(row: RateLimitRow, i: number): RateLimitRule | FieldError {
  const field = `rateLimits.${i}`;
  if (row.name.trim() === '')
    return { field: `${field}.name`, message: `${field}.name: give the rule a name` };
  const paths = parseLines(row.paths);
  if (paths.length === 0)
    return { field: `${field}.paths`, message: `${field}.paths: list at least one path` };
  const anonymous = budget(row.anonMax, row.anonPeriod, `${field}.anonymous`);
  if (isError(anonymous)) return anonymous;
  const rule: RateLimitRule = {
    name: row.name.trim(),
    paths,
    methods: parseList(row.methods).map((method) => method.toUpperCase()),
    anonymous,
  };
  if (row.authMax.trim() !== '' || row.authPeriod.trim() !== '') {
    const authenticated = budget(row.authMax, row.authPeriod, `${field}.authenticated`);
    if (isError(authenticated)) return authenticated;
    rule.authenticated = authenticated;
  }
  return rule;
}

/**
 * The settings to PUT: `base` (as the server sent it) with the form's values in place. Returns a
 * {@link FieldError} for the first field that cannot be read; the server checks the rest.
 */
export function fromFormValues(values: SettingsFormValues, base: Settings): Settings | FieldError {
  const thresholds = { ...base.detection.thresholds };
  for (const name of THRESHOLD_NAMES) {
    const value = wholeNumber(values.thresholds[name], `detection.thresholds.${name}`, 1);
    if (isError(value)) return value;
    thresholds[name] = value;
  }
  const flagTtl = duration(values.flagTtl, 'detection.flagTtl');
  if (isError(flagTtl)) return flagTtl;
  const autoBlockFor = duration(values.autoBlockFor, 'detection.autoBlockFor');
  if (isError(autoBlockFor)) return autoBlockFor;
  const retention = duration(values.retention, 'detection.retention');
  if (isError(retention)) return retention;
  const autoBlockReasons = wholeNumber(values.autoBlockReasons, 'detection.autoBlockReasons', 1);
  if (isError(autoBlockReasons)) return autoBlockReasons;
  const failedLoginStatuses = statuses(values.failedLoginStatuses, 'detection.failedLoginStatuses');
  if (isError(failedLoginStatuses)) return failedLoginStatuses;
  const rateLimits: RateLimitRule[] = [];
  for (const [i, row] of values.rateLimits.entries()) {
    const rule = rateLimitRule(row, i);
    if (isError(rule)) return rule;
    rateLimits.push(rule);
  }
  return {
    ...base,
    detection: {
      ...base.detection,
      thresholds,
      sensitivePaths: parseLines(values.sensitivePaths),
      adminPaths: parseLines(values.adminPaths),
      loginPaths: parseLines(values.loginPaths),
      failedLoginStatuses,
      flagTtl,
      autoBlockReasons,
      autoBlockFor,
      retention,
    },
    rateLimits,
    trustProxy: parseLines(values.trustProxy),
  };
}

/**
 * What `next` changes of `base`, as a partial settings object for `PUT /api/settings` (which merges
 * it over the settings in force): objects key by key, arrays and values whole. Sending only this,
 * not the whole form, keeps a change made elsewhere since the page loaded (another tab, the API).
 * Empty when nothing changed.
 */
export function settingsChanges(next: Settings, base: Settings): Record<string, unknown> {
  return objectChanges(
    next as unknown as Record<string, unknown>,
    base as unknown as Record<string, unknown>,
  );
}

function objectChanges(
  next: Record<string, unknown>,
  base: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    const before = base[key];
    if (isPlainObject(value) && isPlainObject(before)) {
      const inner = objectChanges(value, before);
      if (Object.keys(inner).length > 0) out[key] = inner;
    } else if (!sameValue(value, before)) out[key] = value;
  }
  return out;
}

/**
 * Deep equality of JSON values, whatever the order of object keys; a duration as the form writes it
 * (`7d`) equals the milliseconds the server sent (604800000).
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'number') return parseDuration(a) === b;
  if (typeof a === 'number' && typeof b === 'string') return parseDuration(b) === a;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]))
    );
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameValue(a[k], b[k]));
  }
  return a === b;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `result` is a {@link FieldError}. */
export function isFieldError(result: Settings | FieldError): result is FieldError {
  return isError(result);
}

/**
 * The form field a server message names first, e.g. `"invalid settings: detection.thresholds.high_volume:
 * …"` or `"rateLimits[1].anonymous.max …"`; of fields named at the same place, the longest.
 * Undefined when the message names none of `fields`.
 */
export function fieldInMessage(message: string, fields: Iterable<string>): string | undefined {
  const normalised = message.replace(/\[(\d+)\]/g, '.$1');
  let best: string | undefined;
  let bestAt = Number.POSITIVE_INFINITY;
  for (const field of fields) {
    if (field === '') continue;
    const at = normalised.indexOf(field);
    if (at < 0) continue;
    if (at < bestAt || (at === bestAt && field.length > (best?.length ?? 0))) {
      best = field;
      bestAt = at;
    }
  }
  return best;
}
