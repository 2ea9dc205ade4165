/**
 * Words for the import panel: the progress line and the summary's rows and link. Pure.
 */
import { formatNumber } from './format.js';
import { routeHash } from './route.js';
import type { ImportProgress, ImportSummary } from './types.js';

const HOUR_MS = 3_600_000;

/** The counts a progress bar needs. */
export type ProgressCounts = Pick<ImportProgress, 'linesRead' | 'rejected' | 'bytesRead' | 'totalBytes'>;

/** Percent done (0–100, one decimal) when the size is known, else null. */
export function importPercent(progress: ProgressCounts): number | null {
  const { bytesRead, totalBytes } = progress;
  if (totalBytes === undefined || totalBytes <= 0) return null;
  return Math.min(100, Math.round((bytesRead / totalBytes) * 1000) / 10);
}

/** `12,345 lines read · 45.2% · 3 rejected`. */
export function progressText(progress: ProgressCounts): string {
  const percent = importPercent(progress);
  const parts = [`${formatNumber(progress.linesRead)} lines read`];
  if (percent !== null) parts.push(`${percent}%`);
  if (progress.rejected > 0) parts.push(`${formatNumber(progress.rejected)} rejected`);
  return parts.join(' · ');
}

/** The summary as label/value rows, in the order the CLI prints them. */
export function summaryRows(summary: ImportSummary): [string, string][] {
  const rows: [string, string][] = [
    ['Format', summary.format],
    ['Lines read', formatNumber(summary.linesRead)],
    ['Imported', formatNumber(summary.imported)],
    ['Duplicates skipped', formatNumber(summary.duplicates)],
    ['Rejected', formatNumber(summary.rejected)],
  ];
  if (summary.empty > 0) rows.push(['Empty lines', formatNumber(summary.empty)]);
  rows.push([
    'Took',
    `${(summary.elapsedMs / 1000).toFixed(2)} s (${formatNumber(summary.linesPerSecond)} lines/s)`,
  ]);
  return rows;
}

/** How many rejected lines the summary names no line number for. */
export function unlistedRejections(summary: ImportSummary): number {
  return Math.max(0, summary.rejected - summary.rejections.length);
}

const MINUTE_MS = 60_000;

/**
 * The request log filtered to the imported records' time span, on whole minutes (the filter's
 * from/to fields show minutes), or null when no line became a record.
 */
export function importedRequestsHash(summary: ImportSummary): string | null {
  if (summary.earliest === null || summary.latest === null) return null;
  const since = Math.floor(Date.parse(summary.earliest) / MINUTE_MS) * MINUTE_MS;
  const until = (Math.floor(Date.parse(summary.latest) / MINUTE_MS) + 1) * MINUTE_MS;
  return routeHash('requests', undefined, {
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
  });
}

/**
 * The monitor job's query over the imported records' time span on whole hours (its windows), for
 * `POST /api/jobs/monitor/run`, or null when no line became a record. An import writes records,
 * not flags: only live traffic is counted as it passes, so old traffic is judged by this run.
 */
export function importedHoursQuery(summary: ImportSummary): string | null {
  if (summary.earliest === null || summary.latest === null) return null;
  const since = Math.floor(Date.parse(summary.earliest) / HOUR_MS) * HOUR_MS;
  const until = (Math.floor(Date.parse(summary.latest) / HOUR_MS) + 1) * HOUR_MS;
  return `?since=${new Date(since).toISOString()}&until=${new Date(until).toISOString()}`;
}

/** The monitor run's answer, as much of it as the import panel says. */
export interface MonitorRunAnswer {
  run: { outcome: string; error?: string; summary?: { windows?: number; findings?: unknown[] } };
}

/** One sentence on a monitor run over imported records. */
export function monitorRunText(answer: MonitorRunAnswer): string {
  const { run } = answer;
  if (run.outcome === 'failed') return `Detection failed: ${run.error ?? 'unknown error'}`;
  const windows = run.summary?.windows ?? 0;
  const findings = run.summary?.findings?.length ?? 0;
  return `Checked ${formatNumber(windows)} ${windows === 1 ? 'hour' : 'hours'}: ${formatNumber(findings)} ${findings === 1 ? 'flag' : 'flags'} raised or refreshed.`;
}

/**
 * What to say when nothing was imported because every line was rejected (the CLI exits 1 then),
 * or null. A wrong format is the usual cause, so the message says which one was used.
 */
export function allRejectedMessage(summary: ImportSummary): string | null {
  if (summary.imported > 0 || summary.duplicates > 0 || summary.rejected === 0) return null;
  return `Nothing was imported: all ${formatNumber(summary.rejected)} non-empty lines were rejected as ${summary.format}. If the log is in another format, import it again with that format or Auto.`;
}
