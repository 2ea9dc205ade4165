import { type AccessRecord, REQUEST_ACTIONS, type RequestAction } from './access-record.js';
import { RequestLogQueryError } from './request-log-errors.js';

/**
 * Which access records to return. Every given field must match: `ip` exactly (as the proxy wrote
 * it), `path` as a prefix of `url.path`, `status` the response status code, `action` the
 * `event.action`, `country` the ISO 3166-1 alpha-2 code (any case), `since` inclusive and `until`
 * exclusive on `@timestamp`.
 */
export interface RequestFilter {
  ip?: string;
  path?: string;
  status?: number;
  action?: RequestAction;
  country?: string;
  since?: Date;
  until?: Date;
}

/**
 * A validated filter: cheap substring tests before parsing, then the exact test on the record.
 * `needle` is the most selective fragment as UTF-8 bytes, for readers to search raw chunks with;
 * `mayMatch` checks the other fragments on the decoded line.
 */
export interface CompiledFilter {
  /** The exact client IP asked for, if any (lets readers use a segment's IP index). */
  readonly ip?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly needle?: Buffer;
  /** False only when the raw JSON line cannot match, so it need not be parsed. */
  mayMatch(line: string): boolean;
  /** The exact test on a parsed record. */
  matches(record: AccessRecord): boolean;
}

/** Length of `Date#toISOString()` for years 0000–9999, whose strings sort chronologically. */
const ISO_LENGTH = 24;

function checkDate(field: string, value: Date | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new RequestLogQueryError(field, `${field} must be a valid date`);
  }
  const iso = value.toISOString();
  if (iso.length !== ISO_LENGTH)
    throw new RequestLogQueryError(field, `${field} must be between years 0 and 9999`);
  return iso;
}

function checkFilter(filter: RequestFilter): void {
  const { ip, path, status, action, country } = filter;
  if (ip !== undefined && (typeof ip !== 'string' || ip === '')) {
    throw new RequestLogQueryError('ip', 'ip must be a non-empty IP address string');
  }
  if (path !== undefined && typeof path !== 'string') {
    throw new RequestLogQueryError('path', 'path must be a string (a prefix of the URL path)');
  }
  if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 999)) {
    throw new RequestLogQueryError('status', `status must be an HTTP status code (100-999), got ${status}`);
  }
  if (action !== undefined && !REQUEST_ACTIONS.includes(action)) {
    throw new RequestLogQueryError(
      'action',
      `action must be one of ${REQUEST_ACTIONS.join(', ')}, got "${action}"`,
    );
  }
  if (country !== undefined && !(typeof country === 'string' && /^[A-Za-z]{2}$/.test(country))) {
    throw new RequestLogQueryError(
      'country',
      `country must be a two-letter ISO 3166-1 code, got "${country}"`,
    );
  }
}

/**
 * JSON fragments a matching line must contain, most selective first. Safe because every segment
 * line is written by `JSON.stringify`, which is compact and encodes equal strings identically. A
 * path prefix ending in half a surrogate pair encodes differently from the whole pair, so it gets no
 * fragment.
 */
function requiredFragments(filter: RequestFilter, country: string | undefined): string[] {
  const fragments: string[] = [];
  if (filter.ip !== undefined) fragments.push(`"ip":${JSON.stringify(filter.ip)}`);
  if (filter.path) {
    const last = filter.path.charCodeAt(filter.path.length - 1);
    const endsInHighSurrogate = last >= 0xd800 && last <= 0xdbff;
    if (!endsInHighSurrogate) fragments.push(`"path":${JSON.stringify(filter.path).slice(0, -1)}`);
  }
  if (country !== undefined) fragments.push(`"country_iso_code":"${country}"`);
  if (filter.status !== undefined) fragments.push(`"status_code":${filter.status}`);
  if (filter.action !== undefined) fragments.push(`"action":"${filter.action}"`);
  return fragments;
}

/** `@timestamp` as a canonical ISO string, or null when it does not parse. */
function canonicalTimestamp(timestamp: string): string | null {
  if (timestamp.length === ISO_LENGTH && timestamp.charCodeAt(23) === 90 /* Z */) return timestamp;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * Validates a filter and compiles it into a line pre-test and a record test. Throws
 * {@link RequestLogQueryError} naming the field when a value has the wrong type or form.
 */
export function compileFilter(filter: RequestFilter): CompiledFilter {
  checkFilter(filter);
  const sinceIso = checkDate('since', filter.since);
  const untilIso = checkDate('until', filter.until);
  const { ip, path, status, action } = filter;
  const country = filter.country?.toUpperCase();
  const [primary, ...others] = requiredFragments(filter, country);
  const pathPrefix = path === '' ? undefined : path;
  return {
    ip,
    since: filter.since,
    until: filter.until,
    needle: primary === undefined ? undefined : Buffer.from(primary, 'utf8'),
    mayMatch(line) {
      for (const fragment of others) if (!line.includes(fragment)) return false;
      return true;
    },
    matches(record) {
      if (ip !== undefined && record.source.ip !== ip) return false;
      if (pathPrefix !== undefined && !record.url.path.startsWith(pathPrefix)) return false;
      if (status !== undefined && record.http.response.status_code !== status) return false;
      if (action !== undefined && record.event.action !== action) return false;
      if (country !== undefined && record.source.geo?.country_iso_code !== country) return false;
      if (sinceIso === undefined && untilIso === undefined) return true;
      const timestamp = canonicalTimestamp(record['@timestamp']);
      if (timestamp === null) return false;
      if (sinceIso !== undefined && timestamp < sinceIso) return false;
      return untilIso === undefined || timestamp < untilIso;
    },
  };
}
