import { IMPORT_FORMATS, type ImportFormat, PARSERS } from './formats.js';

/** Non-empty lines auto-detection looks at before the import starts. */
export const DETECT_LINES = 20;

/**
 * Picks the format that parses the most of `sample` (the first non-empty lines of a log), preferring
 * the earlier format of {@link IMPORT_FORMATS} on a tie; null when no format parses any line.
 */
export function detectFormat(sample: readonly string[]): ImportFormat | null {
  let best: ImportFormat | null = null;
  let bestCount = 0;
  for (const format of IMPORT_FORMATS) {
    const parse = PARSERS[format];
    let count = 0;
    for (const line of sample) if (typeof parse(line) !== 'string') count++;
    if (count > bestCount) {
      best = format;
      bestCount = count;
    }
  }
  return best;
}
