import { accessRecordJson } from './access-record-json.js';

/** What the proxy did with a request: the ECS `event.action` of an access record. */
export type RequestAction = 'allowed' | 'blocked' | 'rate_limited';

/** Every {@link RequestAction}, for validation and iteration. */
export const REQUEST_ACTIONS: readonly RequestAction[] = ['allowed', 'blocked', 'rate_limited'];

/**
 * Longest client-written text a record keeps per field (path, query, user agent, referrer), in
 * characters: the proxy and the import cut longer text to this.
 */
export const MAX_TEXT_FIELD = 4096;

/** `text` cut to {@link MAX_TEXT_FIELD} characters. */
export function capText(text: string): string {
  return text.length > MAX_TEXT_FIELD ? text.slice(0, MAX_TEXT_FIELD) : text;
}

/** ECS `source.geo.*`: where the client address geolocates to. */
export interface GeoFields {
  country_iso_code: string;
  country_name?: string;
  city_name?: string;
  location?: { lat: number; lon: number };
}

/**
 * One proxied request as an Elastic Common Schema document: one line of a request log segment.
 * Field names are ECS so Filebeat, Vector or Loki can ship the segments unchanged.
 */
export interface AccessRecord {
  /** ISO 8601 UTC with ms precision (`Date#toISOString()`); also picks the day segment. */
  '@timestamp': string;
  source: { ip: string; geo?: GeoFields };
  http: { request: { method: string; referrer?: string }; response: { status_code: number } };
  url: { path: string; query?: string };
  user_agent?: { original: string };
  /** `duration` is in nanoseconds (ECS). `id` is an optional request id. */
  event: { action: RequestAction; duration: number; id?: string };
  /** The blocklist entry or rate-limit rule that acted on the request. */
  rule?: { name: string };
}

/**
 * What the traffic summaries count of one access record, without the rest of it: the request log
 * keeps this, not the record, for a record waiting to be written to an hour whose rollup is cached
 * or being built (see {@link countedRequest}; summed by `RequestStatsAccumulator.addCounted`).
 */
export interface CountedRequest {
  /** The record's `@timestamp`. */
  timestamp: string;
  ip: string;
  action: RequestAction;
  status: number;
  path: string;
  /** `source.geo.country_iso_code` and `country_name`; undefined when the record has none. */
  country: string | undefined;
  countryName: string | undefined;
}

/** The {@link CountedRequest} of a record. */
export function countedRequest(record: AccessRecord): CountedRequest {
  const geo = record.source.geo;
  return {
    timestamp: record['@timestamp'],
    ip: record.source.ip,
    action: record.event.action,
    status: record.http.response.status_code,
    path: record.url.path,
    country: typeof geo?.country_iso_code === 'string' ? geo.country_iso_code : undefined,
    countryName: typeof geo?.country_name === 'string' ? geo.country_name : undefined,
  };
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when `value` has the fields every reader relies on (`@timestamp`, `source.ip`,
 * `http.request.method`, `http.response.status_code`, `url.path`, `event.action`). Optional fields
 * are not checked deeply; readers guard them at use.
 */
export function isAccessRecord(value: unknown): value is AccessRecord {
  if (!isObject(value) || typeof value['@timestamp'] !== 'string') return false;
  const { source, http, url, event } = value;
  if (!isObject(source) || typeof source.ip !== 'string') return false;
  if (!isObject(url) || typeof url.path !== 'string') return false;
  if (!isObject(event) || typeof event.action !== 'string') return false;
  if (!isObject(http) || !isObject(http.request) || !isObject(http.response)) return false;
  return typeof http.request.method === 'string' && typeof http.response.status_code === 'number';
}

/**
 * Serialises a record as one NDJSON line (without the newline): the text JSON.stringify gives,
 * written field by field ({@link accessRecordJson}). Line feeds, carriage returns and every other
 * control character inside strings are escaped, so whatever a client put in a path or user agent,
 * the line holds exactly one record.
 * @throws TypeError when the record cannot be serialised (a cycle or a BigInt).
 */
export function serialiseAccessRecord(record: AccessRecord): string {
  return accessRecordJson(record);
}

/**
 * Parses one NDJSON line into an {@link AccessRecord}. Returns null, never throws, when the line is
 * not JSON (a write torn by a crash) or not shaped like a record (a foreign line).
 */
export function parseAccessRecord(line: string): AccessRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // A torn or foreign line: the caller counts it as skipped.
    return null;
  }
  return isAccessRecord(value) ? value : null;
}
