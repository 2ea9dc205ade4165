import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../config.js';
import { type BacktestResult, parseCandidate, runBacktest } from '../detection/index.js';
import { initialSettings } from '../saved-settings.js';
import { AccessLists, createRequestLog } from '../store/index.js';
import { CliError, connectToRunningAppliance } from './admin-client.js';
import { formatBacktest } from './backtest-report.js';
import { type CliContext, resolveConfig } from './context.js';
import { readLocalState } from './local-files.js';
import { parseRange } from './time-range.js';

/**
 * `ipwarden backtest --config FILE --since T [--until T] [--json]`: what candidate settings would
 * have flagged, blocked and rate limited over a past range, against the settings in force. Read-only;
 * asks the running appliance when there is one, else reads the data dir directly.
 */
export function registerBacktestCommand(program: Command, cli: CliContext): void {
  program
    .command('backtest')
    .description('what if: run detection with candidate settings over a past range and show the difference')
    .option(
      '--config <file>',
      'JSON file with candidate settings, e.g. {"detection":{"thresholds":{"high_volume":50}}}',
    )
    .option('--since <time>', 'start of the range (ISO 8601)')
    .option('--until <time>', 'end of the range (ISO 8601, default now)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { since?: string; until?: string; json?: boolean }) => {
      // rawArgs (the argv commander parsed) is set by parse() but missing from its typings.
      const flags = configFlags((program as Command & { rawArgs?: string[] }).rawArgs ?? []);
      if (flags.candidate === undefined)
        throw new CliError('--config FILE (candidate settings, JSON) is required');
      const range = parseRange(opts.since, opts.until);
      if (!range) throw new CliError('--since is required (ISO 8601, e.g. 2015-05-17T00:00:00Z)');
      const candidate = await readCandidate(path.resolve(cli.cwd, flags.candidate));
      const config = resolveConfig(cli, program, {}, flags.global ?? null);
      const client = await connectToRunningAppliance(config.dataDir);
      const result = client
        ? (
            await client
              .json<{ backtest: BacktestResult }>(
                'POST',
                '/api/backtest',
                {
                  settings: candidate,
                  since: range.since.toISOString(),
                  until: range.until.toISOString(),
                },
                { long: true },
              )
              .catch((err: Error) => {
                // The same words as offline: the API names the body field the candidate went in.
                throw new CliError(err.message.replace(/^invalid body field "settings": /, '--config: '));
              })
          ).backtest
        : await backtestOffline(config, candidate, range, cli);
      cli.out(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatBacktest(result));
    });
}

/**
 * Commander gives a global `--config` (the ipwarden config file) priority wherever it appears, so
 * the two meanings are told apart by position: before `backtest` it is the config file, after it
 * the candidate settings.
 */
export function configFlags(rawArgs: readonly string[]): { global?: string; candidate?: string } {
  const at = rawArgs.indexOf('backtest');
  const out: { global?: string; candidate?: string } = {};
  for (const [i, arg] of rawArgs.entries()) {
    const value =
      arg === '--config' ? rawArgs[i + 1] : arg.startsWith('--config=') ? arg.slice(9) : undefined;
    if (value === undefined) continue;
    if (i < at) out.global = value;
    else out.candidate = value;
  }
  return out;
}

async function readCandidate(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`--config: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`--config: ${file} is not JSON: ${(err as Error).message}`);
  }
}

async function backtestOffline(
  config: ReturnType<typeof resolveConfig>,
  input: unknown,
  range: { since: Date; until: Date },
  cli: CliContext,
): Promise<BacktestResult> {
  // Without a state file (a data dir that only holds an import) the config's settings and empty lists apply.
  const state = await readLocalState(config.dataDir);
  const lists = new AccessLists(state);
  const saved = state.data.settings;
  const current = initialSettings(config, saved, (message) => cli.err(`ipwarden: ${message}\n`));
  let candidate: ReturnType<typeof parseCandidate>;
  try {
    candidate = parseCandidate(input, current);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`--config: ${err.message}`);
    throw err;
  }
  const requestLog = await createRequestLog({
    dir: path.join(config.dataDir, 'requests'),
    indexInBackground: false,
  });
  try {
    const reads = { requestLog, lists, rateLimitIpv6Prefix: config.rateLimitIpv6Prefix };
    return await runBacktest(reads, { current, candidate }, range);
  } finally {
    await requestLog.close();
  }
}
