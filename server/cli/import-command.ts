import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openGeoip } from '../../geoip/index.js';
import type { Config } from '../config.js';
import {
  beyondRetention,
  formatSummary,
  IMPORT_FORMATS,
  ImportError,
  type ImportFormat,
  type ImportProgress,
  type ImportSummary,
  importFile,
  progressLine,
} from '../import/index.js';
import { initialSettings } from '../saved-settings.js';
import { CliError } from './admin-client.js';
import { type CliContext, resolveConfig } from './context.js';
import { importThroughApi } from './import-upload.js';
import { reachDataDir, readLocalState } from './local-files.js';

/**
 * `ipwarden import <file|-> [--format …] [--json]`: an existing access log into the request log —
 * through the admin API when ipwarden runs on the data dir (its writer is then the only one), into
 * the day files directly otherwise.
 */
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
      const { client, lock } = await reachDataDir(cli, config.dataDir, 'cli import');
      const progress = cli.errIsTTY && !opts.json ? progressLine(cli.err) : undefined;
      const source = file === '-' ? 'stdin' : file;
      const run = {
        file: file === '-' ? '-' : path.resolve(cli.cwd, file),
        format: opts.format as ImportFormat | 'auto',
        source,
        onProgress: progress?.update,
      };
      let summary: ImportSummary;
      try {
        summary = client
          ? await importThroughApi({ ...run, client, stdin: cli.stdin ?? process.stdin })
          : await importLocally(run, config, cli);
      } finally {
        progress?.clear();
        await lock?.release();
      }
      cli.out(
        opts.json ? `${JSON.stringify({ source, ...summary }, null, 2)}\n` : formatSummary(summary, source),
      );
      // Exit 1 when nothing came in but rejections: a script must not take that for an import.
      if (summary.rejected > 0 && summary.imported + summary.duplicates === 0) {
        throw new CliError(
          `every line was rejected (${summary.rejected.toLocaleString('en')}); is the log in ${summary.format} format? Name another with --format`,
        );
      }
    });
}

async function importLocally(
  run: {
    file: string;
    format: ImportFormat | 'auto';
    source: string;
    onProgress?: (progress: ImportProgress) => void;
  },
  config: Config,
  cli: CliContext,
): Promise<ImportSummary> {
  const geo = await openGeoip({ file: config.geoip });
  const retentionMs = await retentionInForce(config, cli);
  try {
    const summary = await importFile({
      file: run.file,
      format: run.format,
      dataDir: config.dataDir,
      geo,
      stdin: cli.stdin,
      onProgress: run.onProgress,
      onWriteError: (err) => cli.err(`ipwarden: ${err.message}\n`),
    });
    return beyondRetention(summary, retentionMs, Date.now());
  } catch (err) {
    if (err instanceof ImportError) throw new CliError(err.message);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')
      throw new CliError(`cannot read ${run.source}: ${(err as Error).message}`);
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR')
      throw new CliError(`${run.source} looks like gzip but does not decompress: ${(err as Error).message}`);
    throw err;
  }
}

/** The request log's retention for `config.dataDir`: the settings saved there over the config's, as `start` applies them. */
async function retentionInForce(config: Config, cli: CliContext): Promise<number> {
  const hasState = existsSync(path.join(config.dataDir, 'state.json'));
  const saved = hasState ? (await readLocalState(config.dataDir)).data.settings : {};
  return initialSettings(config, saved, (message) => cli.err(`ipwarden: ${message}\n`)).detection.retention;
}
