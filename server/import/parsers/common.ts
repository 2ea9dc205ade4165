import { clfRecord } from './clf-fields.js';
import { scanClfPrefix } from './clf-scan.js';
import type { ParseResult } from './parse-result.js';

const NOT_COMMON = 'not common format (%h %l %u [%t] "%r" %>s %b)';

/** Parses one `%h %l %u %t "%r" %>s %b` line (Apache `common`, NCSA CLF; nothing after the size but whitespace) into an ECS record, or returns why not. */
export function parseCommonLine(line: string): ParseResult {
  const prefix = scanClfPrefix(line);
  if (prefix === null || line.slice(prefix.end).trim() !== '') return NOT_COMMON;
  return clfRecord(prefix.fields);
}
