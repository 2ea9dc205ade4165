import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import {
  EXPORT_FORMATS,
  EXPORT_KINDS,
  type ExportFormat,
  type ExportKind,
  writeExport,
} from '../admin/index.js';
import { AccessLists, createRequestLog, openStateStore } from '../store/index.js';
import { CliError, connectToRunningAppliance } from './admin-client.js';
import { type CliContext, resolveConfig } from './context.js';

/** `ipwarden export requests|flags|blocks --format json|csv|ndjson [--since T] [--until T] [--out FILE]`. */
export function registerExportCommand(program: Command, cli: CliContext): void {
  program
    .command('export <kind>')
    .description('export requests, flags or blocks as JSON, CSV (spreadsheet-safe) or NDJSON')
    .option('--format <format>', 'json, csv or ndjson', 'json')
    .option('--since <time>', 'from this ISO 8601 time (requests and flags)')
    .option('--until <time>', 'up to this ISO 8601 time, exclusive')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (kind: string, opts: { format: string; since?: string; until?: string; out?: string }) => {
      if (!EXPORT_KINDS.includes(kind as ExportKind))
        throw new CliError(`export expects requests, flags or blocks, got ${JSON.stringify(kind)}`);
      if (!EXPORT_FORMATS.includes(opts.format as ExportFormat))
        throw new CliError(`--format expects json, csv or ndjson, got ${JSON.stringify(opts.format)}`);
      const since = parseTime('--since', opts.since);
      const until = parseTime('--until', opts.until);
      const config = resolveConfig(cli, program);
      const out: Writable = opts.out ? createWriteStream(path.resolve(cli.cwd, opts.out)) : process.stdout;
      const client = await connectToRunningAppliance(config.dataDir);
      if (client) {
        const query = new URLSearchParams({ format: opts.format });
        if (since) query.set('since', since.toISOString());
        if (until) query.set('until', until.toISOString());
        const response = await client.raw(`/api/export/${kind}?${query}`);
        if (!response.body) throw new CliError('the admin API sent an empty export');
        await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), out);
      } else {
        await exportLocally(
          config.dataDir,
          kind as ExportKind,
          opts.format as ExportFormat,
          { since, until },
          out,
        );
      }
      if (opts.out) cli.err(`wrote ${opts.out}\n`);
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
    const log = await createRequestLog({ dir: path.join(dataDir, 'requests') });
    try {
      await writeExport(kind, format, log.scan(range, 'oldest'), out);
    } finally {
      await log.close();
    }
    return;
  }
  const state = await openStateStore({ dataDir });
  const items =
    kind === 'blocks'
      ? new AccessLists(state).listBlocks()
      : state.data.flags.filter((f) => {
          const seen = Date.parse(f.last_seen);
          return (
            (!range.since || seen >= range.since.getTime()) && (!range.until || seen < range.until.getTime())
          );
        });
  await writeExport(kind, format, items, out);
}

function parseTime(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms))
    throw new CliError(
      `${flag} expects an ISO 8601 time like 2026-01-31T12:00:00Z, got ${JSON.stringify(value)}`,
    );
  return new Date(ms);
}
