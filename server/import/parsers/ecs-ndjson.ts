import { isIP } from 'node:net';
// The record module itself, not the store's face (index.ts): this runs in the parser thread, whose
// start the whole store (lowdb, ioredis…) would slow by ~175 ms.
import { type AccessRecord, REQUEST_ACTIONS, type RequestAction } from '../../store/access-record.js';
import { isObject, type JsonObject, parseJsonObject, statusCode, text } from './json-fields.js';
import type { ParseResult } from './parse-result.js';

/**
 * Parses one Elastic Common Schema document (https://www.elastic.co/guide/en/ecs/current/): an
 * ipwarden export (`export requests --format ndjson`), or Filebeat/Vector output using nested
 * fields. Needs `@timestamp`, `source.ip` (or `client.ip`), `http.request.method`,
 * `http.response.status_code` and `url.path` (or `url.original`). Keeps `event.action`,
 * `event.duration` (ns) and `rule.name` when valid; other fields are dropped; `source.geo` is
 * recomputed on import.
 */
export function parseEcsLine(line: string): ParseResult {
  const doc = parseJsonObject(line);
  if (typeof doc === 'string') return doc;
  const ms = Date.parse(text(doc['@timestamp']) ?? '');
  if (!Number.isFinite(ms)) return '@timestamp is missing or not ISO 8601';
  const ip = text(field(doc, 'source', 'ip')) ?? text(field(doc, 'client', 'ip'));
  if (ip === undefined || isIP(ip) === 0) return 'source.ip is missing or not an IP address';
  const request = field(doc, 'http', 'request');
  const method = isObject(request) ? text(request.method) : undefined;
  if (method === undefined) return 'http.request.method is missing';
  const response = field(doc, 'http', 'response');
  const status = isObject(response) ? statusCode(response.status_code) : undefined;
  if (status === undefined) return 'http.response.status_code is missing or not 100–599';
  const url = urlOf(doc.url);
  if (url === undefined) return 'url.path (or url.original) is missing';

  const event = isObject(doc.event) ? doc.event : {};
  const action = REQUEST_ACTIONS.includes(event.action as RequestAction)
    ? (event.action as RequestAction)
    : 'allowed';
  const duration =
    typeof event.duration === 'number' && Number.isFinite(event.duration) && event.duration >= 0
      ? event.duration
      : 0;
  const record: AccessRecord = {
    '@timestamp': new Date(ms).toISOString(),
    source: { ip },
    http: { request: { method }, response: { status_code: status } },
    url,
    event: { action, duration },
  };
  const referrer = isObject(request) ? text(request.referrer) : undefined;
  if (referrer !== undefined) record.http.request.referrer = referrer;
  const userAgent = text(field(doc, 'user_agent', 'original'));
  if (userAgent !== undefined) record.user_agent = { original: userAgent };
  const rule = text(field(doc, 'rule', 'name'));
  if (rule !== undefined) record.rule = { name: rule };
  return record;
}

function field(doc: JsonObject, outer: string, inner: string): unknown {
  const value = doc[outer];
  return isObject(value) ? value[inner] : undefined;
}

function urlOf(value: unknown): AccessRecord['url'] | undefined {
  if (!isObject(value)) return undefined;
  const path = text(value.path);
  const query = text(value.query);
  if (path !== undefined) return query === undefined ? { path } : { path, query };
  const original = text(value.original);
  if (original === undefined) return undefined;
  const q = original.indexOf('?');
  return q === -1 ? { path: original } : { path: original.slice(0, q), query: original.slice(q + 1) };
}
