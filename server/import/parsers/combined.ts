import { clfRecord } from './clf-fields.js';
import type { ParseResult } from './parse-result.js';

/**
 * `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"` (Apache `combined`, nginx's default
 * `combined`). Quoted fields may hold `\"` escapes. The user agent's closing quote may be missing at
 * the end of the line: Apache truncates over-long fields, e.g. line 8,899 of the shared apache_logs.
 * Anything after the user agent (extra `%D`, `$request_time` fields) is ignored.
 */
const COMBINED =
  /^(\S+) \S+ \S+ \[([^\]]*)\] "((?:[^"\\]|\\.)*)" (\d{3}) (?:\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)(?:"|\\?$)/;

/** Parses one combined-format line into an ECS record, or returns why not. */
export function parseCombinedLine(line: string): ParseResult {
  const m = COMBINED.exec(line);
  if (m === null) return 'not combined format (%h %l %u [%t] "%r" %>s %b "referer" "user-agent")';
  return clfRecord({
    host: m[1] as string,
    time: m[2] as string,
    request: m[3] as string,
    status: m[4] as string,
    referrer: m[5] as string,
    userAgent: m[6] as string,
  });
}
