import type { ImportProgress } from './run-import.js';

/** Least time between two redraws of the progress line, ms. */
const REDRAW_MS = 200;

/**
 * A single self-overwriting progress line for a terminal (`\r` + erase-line, ECMA-48 `CSI 2K`):
 * lines read, lines/s and, when the size is known, percent done. `write` receives raw text;
 * `clear()` erases the line before the summary is printed.
 */
export function progressLine(write: (text: string) => void): {
  update: (progress: ImportProgress) => void;
  clear: () => void;
} {
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(p) {
      if (p.elapsedMs - lastDraw < REDRAW_MS) return;
      lastDraw = p.elapsedMs;
      drawn = true;
      const rate = p.elapsedMs > 0 ? Math.round((p.linesRead / p.elapsedMs) * 1000) : 0;
      const percent =
        p.totalBytes !== undefined && p.totalBytes > 0
          ? ` ${Math.min(100, (p.bytesRead / p.totalBytes) * 100).toFixed(1)}%`
          : '';
      write(
        `\r\x1b[2Kimporting:${percent} ${p.linesRead.toLocaleString('en')} lines, ${rate.toLocaleString('en')} lines/s`,
      );
    },
    clear() {
      if (drawn) write('\r\x1b[2K');
    },
  };
}
