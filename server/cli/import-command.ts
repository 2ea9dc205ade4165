import path from 'node:path';
import type { Command } from 'commander';
import { openGeoip } from '../../geoip/index.js';
import {
  formatSummary,
  IMPORT_FORMATS,
  ImportError,
  type ImportFormat,
  importFile,
  progressLine,
} from '../import/index.js';
import { CliError, connectToRunningAppliance } from './admin-client.js';
import { type CliContext, resolveConfig } from './context.js';

/** `ipwarden import <file|-> [--format …] [--json]`: an existing access log into the request log. */
export function registerImportCommand(program: Command, cli: CliContext): void {
  program
    .command('import <file>')
    .description(
      'import an access log (combined, common, nginx JSON or ECS NDJSON; plain or gzip; - for stdin) into the request log',
    )
    .option('--format <format>', `${IMPORT_FORMATS.join(', ')} or auto`, 'auto')
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: { format: string; json?: boolean }) => {
      if (opts.format !== 'auto' && !IMPORT_FORMATS.includes(opts.format as ImportFormat)) {
        throw new CliError(
          `--format expects ${IMPORT_FORMATS.join(', ')} or auto, got ${JSON.stringify(opts.format)}`,
        );
      }
      const config = resolveConfig(cli, program);
      // Two writers appending to one segment file would interleave and tear lines.
      if (await connectToRunningAppliance(config.dataDir)) {
        throw new CliError(
          `ipwarden is running on ${config.dataDir}; stop it (Ctrl-C or SIGTERM), import, then start it again`,
        );
      }
      const geo = await openGeoip({ file: config.geoip });
      const progress = cli.errIsTTY && !opts.json ? progressLine(cli.err) : undefined;
      const source = file === '-' ? 'stdin' : file;
      try {
        const summary = await importFile({
          file: file === '-' ? '-' : path.resolve(cli.cwd, file),
          format: opts.format as ImportFormat | 'auto',
          dataDir: config.dataDir,
          geo,
          stdin: cli.stdin,
          onProgress: progress?.update,
          onWriteError: (err) => cli.err(`ipwarden: ${err.message}\n`),
        });
        progress?.clear();
        cli.out(
          opts.json ? `${JSON.stringify({ source, ...summary }, null, 2)}\n` : formatSummary(summary, source),
        );
      } catch (err) {
        progress?.clear();
        if (err instanceof ImportError) throw new CliError(err.message);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')
          throw new CliError(`cannot read ${source}: ${(err as Error).message}`);
        if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR')
          throw new CliError(`${source} looks like gzip but does not decompress: ${(err as Error).message}`);
        throw err;
      }
    });
}
