import { clfRecord } from './clf-fields.js';
import type { ParseResult } from './parse-result.js';

/** `%h %l %u %t "%r" %>s %b` (Apache `common`, NCSA CLF), nothing after the size. */
const COMMON = /^(\S+) \S+ \S+ \[([^\]]*)\] "((?:[^"\\]|\\.)*)" (\d{3}) (?:\d+|-)\s*$/;

/** Parses one common-format line into an ECS record, or returns why not. */
export function parseCommonLine(line: string): ParseResult {
  const m = COMMON.exec(line);
  if (m === null) return 'not common format (%h %l %u [%t] "%r" %>s %b)';
  return clfRecord({
    host: m[1] as string,
    time: m[2] as string,
    request: m[3] as string,
    status: m[4] as string,
  });
}
