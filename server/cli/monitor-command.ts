import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { createDetection, JOB_NAMES, type JobName, type JobRun } from '../detection/index.js';
import { createLogger } from '../log.js';
import { initialSettings } from '../saved-settings.js';
import { createCounters, createRequestLog } from '../store/index.js';
import { CliError } from './admin-client.js';
import { type CliContext, resolveConfig } from './context.js';
import { localAccessLists, openLocalState, reachDataDir, requireDataDir } from './local-files.js';
import { parseRange } from './time-range.js';

/** `ipwarden monitor [--task …] [--dry-run] [--since T --until T]`: the scheduled jobs, on demand. */
export function registerMonitorCommand(program: Command, cli: CliContext): void {
  program
    .command('monitor')
    .description('run detection jobs now: monitor, cleanup, auto-block, retention, report, or all')
    .option('--task <name>', `one of ${JOB_NAMES.join(', ')}, all`, 'all')
    .option('--dry-run', 'print what would be flagged, deactivated, blocked or deleted; change nothing')
    .option(
      '--since <time>',
      'with --task monitor: run over every clock hour from this ISO 8601 time (e.g. after an import)',
    )
    .option('--until <time>', 'with --since: up to this time (default now)')
    .option('--json', 'print the runs as JSON')
    .action(
      async (opts: { task: string; dryRun?: boolean; since?: string; until?: string; json?: boolean }) => {
        const tasks = opts.task === 'all' ? [...JOB_NAMES] : [opts.task as JobName];
        if (!tasks.every((t) => JOB_NAMES.includes(t))) {
          throw new CliError(
            `--task expects one of ${JOB_NAMES.join(', ')} or all, got ${JSON.stringify(opts.task)}`,
          );
        }
        const range = parseRange(opts.since, opts.until);
        if (range && opts.task !== 'monitor') throw new CliError('--since/--until go with --task monitor');
        const dryRun = opts.dryRun ?? false;
        const config = resolveConfig(cli, program);
        // A job on a data dir made up on the spot would report "ok, nothing to do".
        requireDataDir(config.dataDir);
        const { client, lock } = await reachDataDir(cli, config.dataDir, 'cli monitor');
        const runs: JobRun[] = [];
        if (client) {
          for (const task of tasks) {
            const query = new URLSearchParams({ dryRun: dryRun ? '1' : '0' });
            if (range) {
              query.set('since', range.since.toISOString());
              query.set('until', range.until.toISOString());
            }
            runs.push(
              (
                await client.json<{ run: JobRun }>('POST', `/api/jobs/${task}/run?${query}`, undefined, {
                  long: true,
                })
              ).run,
            );
          }
        } else {
          try {
            runs.push(
              ...(await runLocally(cli, config, tasks, { dryRun, range: range ?? undefined }, opts.json)),
            );
          } finally {
            await lock.release();
          }
        }
        if (opts.json) cli.out(`${JSON.stringify(runs, null, 2)}\n`);
        else for (const run of runs) cli.out(describeRun(run));
        if (runs.some((r) => r.outcome === 'failed')) throw new CliError('a job failed (see above)');
      },
    );
}

/** Runs `tasks` on the data dir's files (locked by the caller) with the settings saved there. */
async function runLocally(
  cli: CliContext,
  config: Config,
  tasks: readonly JobName[],
  options: { dryRun: boolean; range?: { since: Date; until: Date } },
  json: boolean | undefined,
): Promise<JobRun[]> {
  const state = await openLocalState(cli, config.dataDir);
  // The thresholds, flag lifetime and retention an operator saved in the UI, as `start` uses.
  const settings = initialSettings(config, state.data.settings, (m) => cli.err(`ipwarden: ${m}\n`));
  const requestLog = await createRequestLog({
    dir: path.join(config.dataDir, 'requests'),
    indexInBackground: false,
  });
  const counters = createCounters({ prefix: config.redisPrefix });
  const detection = createDetection({
    config: settings.detection,
    dataDir: config.dataDir,
    state,
    lists: localAccessLists(state, config),
    requestLog,
    counters,
    logger: createLogger(json ? 'silent' : 'warn'),
    ipv6Prefix: config.rateLimitIpv6Prefix,
  });
  const runs: JobRun[] = [];
  try {
    for (const task of tasks) runs.push(await detection.jobs.run(task, options));
  } finally {
    await detection.close();
    await requestLog.close();
    await counters.quit();
  }
  return runs;
}

/** One human-readable paragraph per run. */
function describeRun(run: JobRun): string {
  const head = `${run.name}${run.dryRun ? ' (dry run)' : ''}: ${run.outcome}`;
  if (run.outcome === 'failed') return `${head} — ${run.error}\n`;
  const s = run.summary ?? {};
  const lines: string[] = [];
  const findings = (s.findings ?? []) as {
    ip: string;
    reason: string;
    count: number;
    threshold?: number;
    score?: number;
  }[];
  if ('findings' in s) {
    lines.push(
      `  ${s.since} – ${s.until}: ${s.records ?? 0} requests, ${findings.length} flag(s)${run.dryRun ? ' would be raised' : ''}`,
    );
    for (const f of findings) {
      lines.push(
        `  ${f.ip}  ${f.reason}  ${f.score !== undefined ? `score ${f.score.toFixed(3)}` : `${f.count} > ${f.threshold}`}`,
      );
    }
  }
  for (const key of ['autoBlocked', 'blocked'] as const) {
    const blocked = (s[key] ?? []) as { ip: string; target?: string; reasons: string[] }[];
    for (const b of blocked) {
      const what = b.target === undefined || b.target === b.ip ? b.ip : `${b.target} (flagged: ${b.ip})`;
      lines.push(`  ${run.dryRun ? 'would block' : 'blocked'} ${what}: ${b.reasons.join(', ')}`);
    }
  }
  const deactivated = (s.deactivated ?? []) as { ip: string; reason: string }[];
  if ('deactivated' in s)
    lines.push(`  ${deactivated.length} flag(s) ${run.dryRun ? 'would be ' : ''}deactivated`);
  for (const f of deactivated) lines.push(`  ${f.ip}  ${f.reason}`);
  const deleted = (s.deleted ?? []) as string[];
  if ('deleted' in s)
    lines.push(
      `  ${deleted.length} segment(s) ${run.dryRun ? 'would be ' : ''}deleted${deleted.length ? `: ${deleted.join(', ')}` : ''}`,
    );
  if ('total' in s) lines.push(`  report: ${s.total} requests, ${s.activeFlags} active flags`);
  return `${[head, ...lines].join('\n')}\n`;
}
