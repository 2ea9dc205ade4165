import { isUtf8 } from 'node:buffer';
import { type AccessRecord, capText as cap, type RequestAction } from '../store/index.js';
import type { ProxyContext as Context } from './context.js';

/**
 * The request path's first step: turns every exchange — allowed, blocked or
 * rate-limited — into exactly one ECS access record when the response closes, and hands it to
 * `sink` (the request log append, live detection) once the client has its answer, so the few µs
 * the log spends geolocating and serialising it add nothing to that request's latency.
 */
export function accessLog(sink: (record: AccessRecord) => void) {
  return function logAccess(ctx: Context): true {
    const started = performance.now();
    const startedAt = Date.now();
    // `on`, not `once`: a response closes once, and `once` costs a wrapper and its state per request.
    ctx.res.on('close', () => {
      sink(accessRecord(ctx, startedAt, Math.round((performance.now() - started) * 1e6)));
    });
    return true;
  };
}

/**
 * The ECS access record of an exchange: `ctx`'s request, response status and request-path state,
 * begun at `startedAt` (epoch ms) and lasting `durationNs`. Client text is cut to
 * `MAX_TEXT_FIELD` (4,096) characters per field.
 */
export function accessRecord(ctx: Context, startedAt: number, durationNs: number): AccessRecord {
  const req = ctx.req;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const record: AccessRecord = {
    '@timestamp': isoTime(startedAt),
    source: { ip: (ctx.state.clientIp as string | undefined) ?? '0.0.0.0' },
    http: { request: { method: req.method ?? 'GET' }, response: { status_code: ctx.res.statusCode } },
    url: { path: cap(q === -1 ? url : url.slice(0, q)) },
    event: { action: (ctx.state.action as RequestAction | undefined) ?? 'allowed', duration: durationNs },
  };
  if (q !== -1) record.url.query = cap(url.slice(q + 1));
  const ua = req.headers['user-agent'];
  if (ua) record.user_agent = { original: cap(clientText(ua)) };
  const referrer = req.headers.referer;
  if (referrer) record.http.request.referrer = cap(clientText(referrer));
  const rule = (ctx.state.ruleName ?? ctx.state.rateLimitRule) as string | undefined;
  if (rule && record.event.action !== 'allowed') record.rule = { name: rule };
  return record;
}

// Requests arriving in the same millisecond share one timestamp text (a dozen a millisecond at full load).
let lastMs = Number.NaN;
let lastIso = '';

/** `new Date(ms).toISOString()`, remembered for the last millisecond asked. */
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/** A byte of 0x80 or more, which Node hands over as one Latin-1 character. */
const HIGH_BYTE = /[\x80-\xff]/;

/**
 * A header value as the client wrote it. Node decodes header bytes as Latin-1, so UTF-8 text
 * (`日本語` in a user agent) would be recorded as mojibake: bytes that are valid UTF-8 are read as
 * UTF-8, anything else stays as received (nothing is lost). The request target needs no such care:
 * Node refuses a raw byte over 0x7F there (400), so a path holds only ASCII.
 */
export function clientText(text: string): string {
  if (!HIGH_BYTE.test(text)) return text;
  const bytes = Buffer.from(text, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : text;
}
