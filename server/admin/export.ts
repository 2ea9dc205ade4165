import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { AccessLists, AccessRecord, Flag } from '../store/index.js';
import { allowEntrySchema, blockEntrySchema, flagSchema } from '../store/state-schema.js';
import { formulaSafe } from './csv-cell.js';

export { exportFileName, formulaSafe } from './csv-cell.js';

export type ExportFormat = 'json' | 'csv' | 'ndjson';
export type ExportKind = 'requests' | 'flags' | 'blocks' | 'allowlist';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['json', 'csv', 'ndjson'];
export const EXPORT_KINDS: readonly ExportKind[] = ['requests', 'flags', 'blocks', 'allowlist'];

/** MIME types of the export formats. */
export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/**
 * CSV columns of the flags, blocks and allowlist exports: the stored entry's fields (and whether a block is
 * still in force), named up front so an empty export still has its header row and no entry's shape
 * decides the columns of the others.
 */
const ENTRY_COLUMNS: Record<Exclude<ExportKind, 'requests'>, readonly string[]> = {
  flags: Object.keys(flagSchema.shape),
  blocks: [...Object.keys(blockEntrySchema.shape), 'expired'],
  allowlist: Object.keys(allowEntrySchema.shape),
};

/**
 * The entries an export of flags, blocks or the allowlist holds: flags last seen in
 * [`since`, `until`), every block (newest first, with whether it is in force), every allowlist
 * entry. Shared by the admin API and the CLI's export of a stopped appliance.
 */
export function entryExportItems(
  kind: Exclude<ExportKind, 'requests'>,
  lists: AccessLists,
  flags: () => readonly Flag[],
  range: { since?: Date; until?: Date },
): Iterable<unknown> {
  if (kind === 'blocks') return lists.eachBlock();
  if (kind === 'allowlist') return lists.listAllowlist();
  const since = range.since?.getTime() ?? Number.NEGATIVE_INFINITY;
  const until = range.until?.getTime() ?? Number.POSITIVE_INFINITY;
  return flags().filter((f) => {
    const seen = Date.parse(f.last_seen);
    return seen >= since && seen < until;
  });
}

/** CSV columns of a request export, flattened from the ECS record. */
const REQUEST_COLUMNS: [string, (r: AccessRecord) => string | number | undefined][] = [
  ['timestamp', (r) => r['@timestamp']],
  ['ip', (r) => r.source.ip],
  ['country', (r) => r.source.geo?.country_iso_code],
  ['country_name', (r) => r.source.geo?.country_name],
  ['city', (r) => r.source.geo?.city_name],
  ['method', (r) => r.http.request.method],
  ['path', (r) => r.url.path],
  ['query', (r) => r.url.query],
  ['status', (r) => r.http.response.status_code],
  ['action', (r) => r.event.action],
  ['rule', (r) => r.rule?.name],
  ['duration_ms', (r) => Math.round(r.event.duration / 1e4) / 100],
  ['user_agent', (r) => r.user_agent?.original],
  ['referrer', (r) => r.http.request.referrer],
];

/**
 * Streams `items` to `out` as JSON (one array), NDJSON or CSV without holding them in memory.
 * CSV cells that a spreadsheet would run as a formula (starting with = + - @ tab CR or LF, also
 * after leading whitespace, or their full-width forms) are prefixed with `'` ({@link formulaSafe},
 * OWASP CSV injection guidance).
 * `kind` chooses the CSV columns: requests are flattened; flags, blocks and the allowlist use their own fields
 * (objects such as flag evidence become a JSON string cell).
 */
export async function writeExport(
  kind: ExportKind,
  format: ExportFormat,
  items: AsyncIterable<unknown> | Iterable<unknown>,
  out: Writable,
): Promise<number> {
  let count = 0;
  const counted = async function* () {
    for await (const item of items) {
      count++;
      yield item;
    }
  };
  if (format === 'ndjson') {
    await pipeline(Readable.from(mapAsync(counted(), (item) => `${JSON.stringify(item)}\n`)), out);
  } else if (format === 'json') {
    await pipeline(Readable.from(jsonArray(counted())), out);
  } else {
    const columns = kind === 'requests' ? REQUEST_COLUMNS.map(([name]) => name) : [...ENTRY_COLUMNS[kind]];
    const toRow: (item: unknown) => unknown =
      kind === 'requests'
        ? (item: unknown) => REQUEST_COLUMNS.map(([, get]) => get(item as AccessRecord) ?? '')
        : (item: unknown) => flatRow(item as Record<string, unknown>);
    const csv = stringify({
      header: true,
      columns,
      cast: { boolean: (v) => String(v), string: formulaSafe },
    });
    await pipeline(Readable.from(mapAsync(counted(), toRow), { objectMode: true }), csv, out);
  }
  return count;
}

async function* mapAsync<T, U>(source: AsyncIterable<T>, fn: (item: T) => U): AsyncGenerator<U> {
  for await (const item of source) yield fn(item);
}

async function* jsonArray(source: AsyncIterable<unknown>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const item of source) {
    yield (first ? '\n' : ',\n') + JSON.stringify(item);
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

function flatRow(item: Record<string, unknown>): Record<string, string | number | boolean> {
  const row: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(item)) {
    row[key] =
      value === null || value === undefined
        ? ''
        : typeof value === 'object'
          ? JSON.stringify(value)
          : (value as string | number | boolean);
  }
  return row;
}
