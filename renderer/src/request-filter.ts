/**
 * The request-log filter the operator sets, as the `GET /api/requests` query takes it, and the
 * same test applied in the browser to live records. Pure.
 */
import type { EcsRecord, RequestAction } from './types.js';

/** Filter fields; empty strings mean "any". `since`/`until` are ISO strings. */
export interface RequestFilter {
  ip: string;
  path: string;
  status: string;
  action: '' | RequestAction;
  country: string;
  since: string;
  until: string;
}

export const EMPTY_FILTER: Readonly<RequestFilter> = {
  ip: '',
  path: '',
  status: '',
  action: '',
  country: '',
  since: '',
  until: '',
};

/** True when no field is set. */
export function isEmptyFilter(filter: RequestFilter): boolean {
  return Object.values(filter).every((value) => value.trim() === '');
}

/**
 * True when a live record belongs in a list with this filter: exact IP, path prefix, exact status,
 * action and country, and a timestamp inside `[since, until)`.
 */
export function matchesFilter(record: EcsRecord, filter: RequestFilter): boolean {
  const f = {
    ip: filter.ip.trim(),
    path: filter.path.trim(),
    status: filter.status.trim(),
    country: filter.country.trim().toUpperCase(),
  };
  if (f.ip !== '' && record.source.ip !== f.ip) return false;
  if (f.path !== '' && !record.url.path.startsWith(f.path)) return false;
  if (f.status !== '' && String(record.http.response.status_code) !== f.status) return false;
  if (filter.action !== '' && record.event.action !== filter.action) return false;
  if (f.country !== '' && record.source.geo?.country_iso_code !== f.country) return false;
  const t = Date.parse(record['@timestamp']);
  if (filter.since !== '' && t < Date.parse(filter.since)) return false;
  if (filter.until !== '' && t >= Date.parse(filter.until)) return false;
  return true;
}

/** The filter as API query parameters (the caller adds `limit` and `cursor`). */
export function filterParams(filter: RequestFilter): Record<string, string> {
  return {
    ip: filter.ip,
    path: filter.path,
    status: filter.status,
    action: filter.action,
    country: filter.country.toUpperCase(),
    since: filter.since,
    until: filter.until,
  };
}
