import type { AccessRecord } from '../../store/index.js';

/** What a line parser gives back: the record, or a short reason the line was rejected. */
export type ParseResult = AccessRecord | string;

/** Parses one log line (no trailing newline). Never throws: a malformed line returns a reason. */
export type LineParser = (line: string) => ParseResult;
