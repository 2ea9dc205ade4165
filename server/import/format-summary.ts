import type { ImportSummary } from './run-import.js';

/** The human-readable summary `ipwarden import` prints: counts, the first rejections, the rate. */
export function formatSummary(summary: ImportSummary, source: string): string {
  const n = (value: number) => value.toLocaleString('en');
  const lines = [
    `imported ${source} (${summary.format})`,
    `  lines read          ${n(summary.linesRead)}`,
    `  imported            ${n(summary.imported)}`,
    `  duplicates skipped  ${n(summary.duplicates)}`,
    `  rejected            ${n(summary.rejected)}`,
  ];
  if (summary.empty > 0) lines.push(`  empty lines         ${n(summary.empty)}`);
  if (summary.earliest !== null && summary.latest !== null)
    lines.push(`  records from        ${summary.earliest} to ${summary.latest}`);
  for (const r of summary.rejections) lines.push(`    line ${n(r.line)}: ${r.reason}`);
  if (summary.rejected > summary.rejections.length) {
    lines.push(`    … and ${n(summary.rejected - summary.rejections.length)} more`);
  }
  lines.push(`  took ${(summary.elapsedMs / 1000).toFixed(2)} s, ${n(summary.linesPerSecond)} lines/s`);
  return `${lines.join('\n')}\n`;
}
