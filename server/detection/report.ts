import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AccessLists, RequestLog } from '../store/index.js';
import type { FlagStore } from './flag-store.js';

/** The hourly security report (the seeds' hourly report task), kept as JSON in `<data-dir>/reports/`. */
export interface SecurityReport {
  generatedAt: string;
  window: { since: string; until: string };
  volume: { total: number; allowed: number; blocked: number; rateLimited: number; uniqueIps: number };
  /** Requests in the window compared with the window before it: +0.25 is 25 % more. */
  trend: { previousTotal: number; change: number | null };
  topCountries: { code: string; name?: string; count: number }[];
  topFlaggedIps: { ip: string; reasons: string[]; requestCount: number; lastSeen: string }[];
  activeFlags: number;
  activeBlocks: number;
  blocksInWindow: number;
}

export interface ReportDeps {
  requestLog: RequestLog;
  flags: FlagStore;
  lists: AccessLists;
  dir: string;
}

/** Builds the report for [since, until) and, unless `dryRun`, writes it as `report-<until>.json` (atomically). */
export async function writeReport(
  deps: ReportDeps,
  since: Date,
  until: Date,
  dryRun = false,
): Promise<SecurityReport> {
  const span = until.getTime() - since.getTime();
  const [current, previous] = await Promise.all([
    deps.requestLog.summarise({ since, until }, { top: 10 }),
    deps.requestLog.summarise({ since: new Date(since.getTime() - span), until: since }, { top: 1 }),
  ]);
  const byIp = new Map<string, { reasons: string[]; requestCount: number; lastSeen: string }>();
  for (const flag of deps.flags.list({ active: true })) {
    const entry = byIp.get(flag.ip) ?? { reasons: [], requestCount: 0, lastSeen: flag.last_seen };
    entry.reasons.push(flag.reason);
    entry.requestCount = Math.max(entry.requestCount, flag.request_count);
    if (flag.last_seen > entry.lastSeen) entry.lastSeen = flag.last_seen;
    byIp.set(flag.ip, entry);
  }
  const blocks = deps.lists.listBlocks();
  const report: SecurityReport = {
    generatedAt: new Date().toISOString(),
    window: { since: since.toISOString(), until: until.toISOString() },
    volume: {
      total: current.total,
      allowed: current.allowed,
      blocked: current.blocked,
      rateLimited: current.rateLimited,
      uniqueIps: current.uniqueIps,
    },
    trend: {
      previousTotal: previous.total,
      change: previous.total === 0 ? null : (current.total - previous.total) / previous.total,
    },
    topCountries: current.topCountries,
    topFlaggedIps: [...byIp]
      .map(([ip, e]) => ({ ip, ...e }))
      .sort((a, b) => b.reasons.length - a.reasons.length || b.requestCount - a.requestCount)
      .slice(0, 10),
    activeFlags: deps.flags.list({ active: true }).length,
    activeBlocks: blocks.filter((b) => !b.expired).length,
    blocksInWindow: blocks.filter(
      (b) => b.createdAt >= since.toISOString() && b.createdAt < until.toISOString(),
    ).length,
  };
  if (!dryRun) {
    await mkdir(deps.dir, { recursive: true });
    const file = path.join(deps.dir, `report-${until.toISOString().slice(0, 13)}.json`);
    await writeFile(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
    await rename(`${file}.tmp`, file);
  }
  return report;
}

/**
 * The stored reports, newest first (file name and time), and the newest readable one in full. A
 * report file that is not JSON (cut short by a full disk, edited by hand) is renamed to
 * `<name>.corrupt-<time>`, kept aside, and named in `movedAside`; the next newest stands in.
 */
export async function listReports(
  dir: string,
  limit = 48,
): Promise<{ reports: { name: string }[]; latest: SecurityReport | null; movedAside: string[] }> {
  let names: string[];
  try {
    names = (await readdir(dir))
      .filter((n) => /^report-.*\.json$/.test(n))
      .sort()
      .reverse();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { reports: [], latest: null, movedAside: [] };
    throw err;
  }
  const movedAside: string[] = [];
  let latest: SecurityReport | null = null;
  while (names.length > 0 && latest === null) {
    const file = path.join(dir, names[0] as string);
    try {
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      // `null`, a number, an array: JSON, but no report (and `null` would stop nothing here).
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new SyntaxError('not a report object');
      latest = parsed as SecurityReport;
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(file, aside);
      movedAside.push(aside);
      names.shift();
    }
  }
  return { reports: names.slice(0, limit).map((name) => ({ name })), latest, movedAside };
}
