import { isIP } from 'node:net';
import type { AccessRecord } from '../../store/index.js';
import { apacheTimeToIso } from './apache-time.js';

/** The fields the common and combined formats share, as captured from one line. */
export interface ClfFields {
  host: string;
  time: string;
  request: string;
  status: string;
  referrer?: string;
  userAgent?: string;
}

/**
 * Undoes Apache's and nginx's escaping inside a quoted field: `\"` and `\\` (Apache 2.0.46+) and
 * `\xHH` (nginx `escape=default`, Apache for non-printables) become the characters they stand for.
 */
export function unescapeQuoted(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(x[0-9A-Fa-f]{2}|.)/g, (_, esc: string) =>
    esc.length === 3 ? String.fromCharCode(Number.parseInt(esc.slice(1), 16)) : esc,
  );
}

/** `-` means "not sent" in both formats. */
function present(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === '-' ? undefined : unescapeQuoted(value);
}

// Consecutive lines mostly share a client and a second: remember the last ones checked (import is hot).
let lastHost = '';
let lastTime = '';
let lastIso = '';

function isoTime(time: string): string | null {
  if (time === lastTime) return lastIso;
  const iso = apacheTimeToIso(time);
  if (iso === null) return null;
  lastTime = time;
  lastIso = iso;
  return iso;
}

/**
 * Builds the ECS record from common/combined fields, or returns why it cannot: the client must be an
 * IP address (not a `HostnameLookups` name), the time `%t`, the request `METHOD TARGET [PROTOCOL]`.
 * Imported records carry `event.action: allowed` and `event.duration: 0` (these formats log no
 * duration; `%D` variants are not parsed).
 */
export function clfRecord(fields: ClfFields): AccessRecord | string {
  if (fields.host !== lastHost) {
    if (isIP(fields.host) === 0) return `client ${JSON.stringify(fields.host)} is not an IP address`;
    lastHost = fields.host;
  }
  const timestamp = isoTime(fields.time);
  if (timestamp === null) return `time ${JSON.stringify(fields.time)} is not like 17/May/2015:10:05:03 +0000`;
  const request = unescapeQuoted(fields.request);
  const firstSpace = request.indexOf(' ');
  const method = firstSpace > 0 ? request.slice(0, firstSpace) : '';
  const rest = firstSpace > 0 ? request.slice(firstSpace + 1) : '';
  const secondSpace = rest.indexOf(' ');
  const target = secondSpace === -1 ? rest : rest.slice(0, secondSpace);
  if (!/^[A-Za-z]+$/.test(method) || target === '') {
    return `request ${JSON.stringify(request.slice(0, 80))} is not METHOD TARGET [PROTOCOL]`;
  }
  const q = target.indexOf('?');
  const record: AccessRecord = {
    '@timestamp': timestamp,
    source: { ip: fields.host },
    http: { request: { method: method.toUpperCase() }, response: { status_code: Number(fields.status) } },
    url: q === -1 ? { path: target } : { path: target.slice(0, q), query: target.slice(q + 1) },
    event: { action: 'allowed', duration: 0 },
  };
  const referrer = present(fields.referrer);
  if (referrer !== undefined) record.http.request.referrer = referrer;
  const userAgent = present(fields.userAgent);
  if (userAgent !== undefined) record.user_agent = { original: userAgent };
  return record;
}
