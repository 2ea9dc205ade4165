import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerAccessCommands } from './access-commands.js';
import { registerBacktestCommand } from './backtest-command.js';
import type { CliContext } from './context.js';
import { registerExportCommand } from './export-command.js';
import { registerImportCommand } from './import-command.js';
import { registerMonitorCommand } from './monitor-command.js';
import { registerStartCommand } from './start-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerUiCommand } from './ui-command.js';

/** Builds the `ipwarden` command line (commander). Each command validates its own input. */
export function buildProgram(cli: CliContext): Command {
  const program = new Command('ipwarden')
    .description(
      'Self-hosted IP protection: a reverse proxy that records, geolocates, rate-limits and blocks abusive clients',
    )
    .version(VERSION)
    .option('--config <file>', 'config file (default: ./ipwarden.config.json if present)')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    // Every command's --help lists --data-dir and --config: they need them whenever the data dir is not ./data.
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .configureOutput({ writeOut: cli.out, writeErr: cli.err });
  registerStartCommand(program, cli);
  registerAccessCommands(program, cli);
  registerExportCommand(program, cli);
  registerImportCommand(program, cli);
  registerMonitorCommand(program, cli);
  registerBacktestCommand(program, cli);
  registerUiCommand(program, cli);
  registerStatusCommand(program, cli);
  return program;
}
