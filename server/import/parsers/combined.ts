import { clfRecord } from './clf-fields.js';
import { closingQuote, scanClfPrefix } from './clf-scan.js';
import type { ParseResult } from './parse-result.js';

const NOT_COMBINED = 'not combined format (%h %l %u [%t] "%r" %>s %b "referer" "user-agent")';

/**
 * Parses one `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"` line (Apache `combined`,
 * nginx's default `combined`) into an ECS record, or returns why not. Quoted fields may hold `\"`
 * escapes. The user agent's closing quote may be missing at the end of the line: Apache truncates
 * over-long fields, e.g. line 8,899 of the shared apache_logs (a trailing lone backslash is then
 * dropped). Anything after the user agent (extra `%D`, `$request_time` fields) is ignored.
 */
export function parseCombinedLine(line: string): ParseResult {
  const prefix = scanClfPrefix(line);
  if (prefix === null) return NOT_COMBINED;
  const refStart = prefix.end + 2;
  if (line.charCodeAt(prefix.end) !== 0x20 || line.charCodeAt(prefix.end + 1) !== 0x22) return NOT_COMBINED;
  const refEnd = closingQuote(line, refStart);
  if (refEnd === -1 || line.charCodeAt(refEnd + 1) !== 0x20 || line.charCodeAt(refEnd + 2) !== 0x22)
    return NOT_COMBINED;
  const uaStart = refEnd + 3;
  const uaEnd = closingQuote(line, uaStart);
  const fields = prefix.fields;
  fields.referrer = line.slice(refStart, refEnd);
  fields.userAgent =
    uaEnd === -1 ? withoutDanglingBackslash(line.slice(uaStart)) : line.slice(uaStart, uaEnd);
  return clfRecord(fields);
}

/** A quoted field cut off at the end of the line may end inside an escape: drop its lone `\`. */
function withoutDanglingBackslash(text: string): string {
  let run = 0;
  while (run < text.length && text.charCodeAt(text.length - 1 - run) === 0x5c) run++;
  return run % 2 === 1 ? text.slice(0, -1) : text;
}
