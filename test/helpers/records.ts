import type { AccessRecord, RequestAction } from '../../server/store/index.js';
import type { CombinedLine } from './combined-log.js';

/** A minimal ECS access record for tests. */
export function record(
  ip: string,
  at: number | string,
  options: { path?: string; status?: number; method?: string; action?: RequestAction; ua?: string } = {},
): AccessRecord {
  return {
    '@timestamp': typeof at === 'number' ? new Date(at).toISOString() : at,
    source: { ip },
    http: { request: { method: options.method ?? 'GET' }, response: { status_code: options.status ?? 200 } },
    url: { path: options.path ?? '/' },
    user_agent: { original: options.ua ?? 'test-agent' },
    event: { action: options.action ?? 'allowed', duration: 1_000_000 },
  };
}

const MONTHS: Record<string, string> = {
  Jan: '01',
  Feb: '02',
  Mar: '03',
  Apr: '04',
  May: '05',
  Jun: '06',
  Jul: '07',
  Aug: '08',
  Sep: '09',
  Oct: '10',
  Nov: '11',
  Dec: '12',
};

/** Apache time `17/May/2015:10:05:03 +0000` → epoch ms. */
export function apacheTime(text: string): number {
  const m = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{2})(\d{2})$/.exec(text);
  if (!m) throw new Error(`not an Apache time: ${text}`);
  return Date.parse(`${m[3]}-${MONTHS[m[2] as string]}-${m[1]}T${m[4]}:${m[5]}:${m[6]}${m[7]}:${m[8]}`);
}

/** A combined-log line as the ECS record the proxy would have written, with the line's own timestamp. */
export function recordFromCombined(line: CombinedLine): AccessRecord {
  return record(line.ip, apacheTime(line.time), {
    path: line.path.split('?')[0],
    status: line.status,
    method: line.method,
    ua: line.userAgent,
  });
}
