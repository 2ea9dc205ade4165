import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import {
  EXPORT_FORMATS,
  EXPORT_KINDS,
  type ExportFormat,
  type ExportKind,
  entryExportItems,
  exportFileName,
  unusedExportFilter,
  writeExport,
} from '../admin/index.js';
import { parseIsoTime } from '../config.js';
import { AccessLists, createRequestLog } from '../store/index.js';
import { CliError, connectToRunningAppliance } from './admin-client.js';
import { type CliContext, resolveConfig } from './context.js';
import { readLocalState, requireDataDir } from './local-files.js';

/** `ipwarden export requests|flags|blocks|allowlist --format json|csv|ndjson [--since T] [--until T] [--out FILE]`. */
export function registerExportCommand(program: Command, cli: CliContext): void {
  program
    .command('export <kind>')
    .description('export requests, flags, blocks or the allowlist as JSON, CSV (spreadsheet-safe) or NDJSON')
    .option('--format <format>', 'json, csv or ndjson', 'json')
    .option('--since <time>', 'from this ISO 8601 time (requests and flags)')
    .option('--until <time>', 'up to this ISO 8601 time, exclusive')
    .option(
      '--out <file|dir/>',
      'write to this file, or a generated name in this directory, instead of standard output',
    )
    .action(async (kind: string, opts: { format: string; since?: string; until?: string; out?: string }) => {
      if (!EXPORT_KINDS.includes(kind as ExportKind))
        throw new CliError(
          `export expects requests, flags, blocks or allowlist, got ${JSON.stringify(kind)}`,
        );
      if (!EXPORT_FORMATS.includes(opts.format as ExportFormat))
        throw new CliError(`--format expects json, csv or ndjson, got ${JSON.stringify(opts.format)}`);
      const given = (['since', 'until'] as const).filter((option) => opts[option] !== undefined);
      const unused = unusedExportFilter(kind as ExportKind, given);
      if (unused !== undefined)
        throw new CliError(`--${unused} does not apply to the ${kind} export (it holds every entry)`);
      const since = parseTime('--since', opts.since);
      const until = parseTime('--until', opts.until);
      if (since && until && until <= since) throw new CliError('--until must be after --since');
      const config = resolveConfig(cli, program);
      const target = opts.out ? await outputFile(cli.cwd, opts.out, kind, opts.format) : null;
      const out: Writable = target ? await openOutput(target.partial) : process.stdout;
      const client = await connectToRunningAppliance(config.dataDir);
      const write = async () => {
        if (!client) {
          const range = { since, until };
          return exportLocally(config.dataDir, kind as ExportKind, opts.format as ExportFormat, range, out);
        }
        const query = new URLSearchParams({ format: opts.format });
        if (since) query.set('since', since.toISOString());
        if (until) query.set('until', until.toISOString());
        const response = await client.raw(`/api/export/${kind}?${query}`);
        if (!response.body) throw new CliError('the admin API sent an empty export');
        try {
          await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), out);
        } catch (err) {
          // undici's "terminated": the appliance went away with the export half sent.
          if ((err as Error).name !== 'TypeError') throw err;
          throw new CliError(
            `lost the running ipwarden at ${client.adminUrl} in the middle of the export (${(err as Error).message}); nothing was written, try again`,
          );
        }
      };
      // A failed export leaves no file behind: neither the partial one nor a truncated final one.
      await write().catch(async (err: Error) => {
        if (target) await rm(target.partial, { force: true });
        throw err;
      });
      if (target) {
        await rename(target.partial, target.file);
        cli.err(`wrote ${target.file}\n`);
      }
    });
}

async function exportLocally(
  dataDir: string,
  kind: ExportKind,
  format: ExportFormat,
  range: { since?: Date; until?: Date },
  out: Writable,
): Promise<void> {
  if (kind === 'requests') {
    requireDataDir(dataDir);
    const log = await createRequestLog({ dir: path.join(dataDir, 'requests'), indexInBackground: false });
    try {
      await writeExport(kind, format, log.scan(range, 'oldest'), out);
    } finally {
      await log.close();
    }
    return;
  }
  const state = await readLocalState(dataDir);
  const items = entryExportItems(kind, new AccessLists(state), () => state.data.flags, range);
  await writeExport(kind, format, items, out);
}

/**
 * Where `--out` writes: the file itself, or, for an existing directory (or a path ending in `/`), a
 * generated name inside it that cannot leave it ({@link exportFileName}). The export goes to a
 * `.partial` file next to it and is renamed into place when complete, so an interrupted export
 * never leaves a truncated file under the final name. Exports hold client IPs: mode 0600.
 */
async function outputFile(
  cwd: string,
  out: string,
  kind: string,
  format: string,
): Promise<{ file: string; partial: string }> {
  // path.resolve drops a trailing separator: look at what was typed.
  const namedDir = out.endsWith('/') || out.endsWith(path.sep);
  const resolved = path.resolve(cwd, out);
  const isDir = await stat(resolved).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (namedDir && !isDir) throw new CliError(`--out: ${resolved} is not an existing directory`);
  const file = isDir ? path.join(resolved, exportFileName(kind, format, new Date())) : resolved;
  return { file, partial: `${file}.partial-${process.pid}` };
}

/** Opens the output file before anything runs, so a bad `--out` fails at once with a clear error. */
async function openOutput(file: string): Promise<Writable> {
  try {
    return (await open(file, 'w', 0o600)).createWriteStream();
  } catch (err) {
    throw new CliError(
      `--out: cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function parseTime(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ms = parseIsoTime(value);
  if (!Number.isFinite(ms))
    throw new CliError(
      `${flag} expects an ISO 8601 time like 2026-01-31T12:00:00Z, got ${JSON.stringify(value)}`,
    );
  return new Date(ms);
}
