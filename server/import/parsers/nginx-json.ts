import { isIP } from 'node:net';
import type { AccessRecord } from '../../store/index.js';
import { parseApacheTime } from './apache-time.js';
import { parseJsonObject, statusCode, text } from './json-fields.js';
import type { ParseResult } from './parse-result.js';

/**
 * Parses one line of an nginx `log_format … escape=json '{…}'` log, keyed by nginx variable names
 * (http://nginx.org/en/docs/http/ngx_http_core_module.html#variables): `remote_addr`, a time
 * (`time_iso8601`, `time_local` or `msec`), `request` or `request_method` + `request_uri`, `status`,
 * and optionally `http_referer`, `http_user_agent`, `request_time` (seconds, ms resolution).
 */
export function parseNginxJsonLine(line: string): ParseResult {
  const obj = parseJsonObject(line);
  if (typeof obj === 'string') return obj;
  const ip = text(obj.remote_addr);
  if (ip === undefined || isIP(ip) === 0) return 'remote_addr is missing or not an IP address';
  const ms = timeOf(obj);
  if (ms === null) return 'no valid time_iso8601, time_local or msec';
  const status = statusCode(obj.status);
  if (status === undefined) return 'status is missing or not 100–599';
  const target = requestTarget(obj);
  if (typeof target === 'string') return target;
  const q = target.uri.indexOf('?');
  const seconds = Number(obj.request_time);
  const record: AccessRecord = {
    '@timestamp': new Date(ms).toISOString(),
    source: { ip },
    http: { request: { method: target.method }, response: { status_code: status } },
    url: q === -1 ? { path: target.uri } : { path: target.uri.slice(0, q), query: target.uri.slice(q + 1) },
    event: {
      action: 'allowed',
      duration: Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1e9) : 0,
    },
  };
  const referrer = text(obj.http_referer);
  if (referrer !== undefined) record.http.request.referrer = referrer;
  const userAgent = text(obj.http_user_agent);
  if (userAgent !== undefined) record.user_agent = { original: userAgent };
  return record;
}

function timeOf(obj: Record<string, unknown>): number | null {
  const iso = text(obj.time_iso8601);
  if (iso !== undefined) {
    const ms = Date.parse(iso);
    return Number.isFinite(ms) ? ms : null;
  }
  const local = text(obj.time_local);
  if (local !== undefined) return parseApacheTime(local);
  const msec = Number(text(obj.msec)); // seconds with ms resolution, e.g. 1431857103.123
  return Number.isFinite(msec) && msec > 0 ? Math.round(msec * 1000) : null;
}

function requestTarget(obj: Record<string, unknown>): { method: string; uri: string } | string {
  const method = text(obj.request_method);
  const uri = text(obj.request_uri);
  if (method !== undefined && uri !== undefined) return { method, uri };
  const request = text(obj.request);
  const parts = request?.split(' ') ?? [];
  if (parts.length >= 2 && /^[A-Za-z]+$/.test(parts[0] as string) && parts[1] !== '') {
    return { method: (parts[0] as string).toUpperCase(), uri: parts[1] as string };
  }
  return 'neither request_method + request_uri nor a request "METHOD URI PROTOCOL"';
}
