import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { CliError } from './admin-client.js';

/** What a CLI run may touch: its streams, environment and working directory (tests pass their own). */
export interface CliContext {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Standard input, for `ipwarden import -`; default `process.stdin`. */
  stdin?: Readable;
  /** True when `err` goes to a terminal, so progress lines may redraw themselves. */
  errIsTTY?: boolean;
  /** Receives the running appliance's stop function so signals can reach it. */
  onStarted?: (stop: () => Promise<void>) => void;
}

/**
 * Validated config from the program's global flags plus `extra` (a command's own flags);
 * `configFile`, when given, replaces the global `--config` (see `backtest`, whose own `--config`
 * names a candidate-settings file).
 * @throws CliError carrying the ConfigError's message (field, source, expected form).
 */
export function resolveConfig(
  cli: CliContext,
  program: Command,
  extra: Record<string, unknown> = {},
  configFile?: string | null,
): Config {
  const globals = program.opts<{ config?: string; dataDir?: string }>();
  try {
    return loadConfig({
      flags: { dataDir: globals.dataDir, ...extra },
      env: cli.env,
      cwd: cli.cwd,
      configFile: configFile === undefined ? globals.config : (configFile ?? undefined),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}
