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
  if (summary.beyondRetention !== undefined)
    lines.push(`  warning: ${retentionWarning(summary.beyondRetention)}`);
  for (const r of summary.rejections) lines.push(`    line ${n(r.line)}: ${r.reason}`);
  if (summary.rejected > summary.rejections.length) {
    lines.push(`    … and ${n(summary.rejected - summary.rejections.length)} more`);
  }
  lines.push(`  took ${(summary.elapsedMs / 1000).toFixed(2)} s, ${n(summary.linesPerSecond)} lines/s`);
  return `${lines.join('\n')}\n`;
}

const DAY_MS = 86_400_000;

/** When the retention job runs each day, ms after UTC midnight (its schedule, `30 0 * * *`, in detection/index.ts). */
const RETENTION_RUN_MS = 30 * 60_000;

/**
 * `summary` with {@link ImportSummary.beyondRetention} set when its earliest record lies on a UTC day
 * before the first day the retention job keeps at its next run (the run's time minus the retention,
 * as the job computes it).
 */
export function beyondRetention(summary: ImportSummary, retentionMs: number, nowMs: number): ImportSummary {
  const todaysRun = Math.floor(nowMs / DAY_MS) * DAY_MS + RETENTION_RUN_MS;
  const nextRun = todaysRun > nowMs ? todaysRun : todaysRun + DAY_MS;
  const firstKeptDay = new Date(nextRun - retentionMs).toISOString().slice(0, 10);
  if (summary.earliest === null || summary.earliest.slice(0, 10) >= firstKeptDay) return summary;
  return { ...summary, beyondRetention: { retentionDays: Math.round(retentionMs / DAY_MS), firstKeptDay } };
}

/** The warning the CLI prints (the UI says the same). */
export function retentionWarning(note: NonNullable<ImportSummary['beyondRetention']>): string {
  return `records before ${note.firstKeptDay} are older than the ${note.retentionDays}-day retention: the retention job deletes them at its next run (00:30 UTC); raise detection.retention in the settings to keep them`;
}
