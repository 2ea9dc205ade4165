import { type LookupAddress, lookupAddress } from './lookup-address.js';
import { LookupCache } from './lookup-cache.js';
import { normaliseRecord } from './normalise-record.js';
import { openBundled, openFile } from './open-database.js';
import type { GeoipOptions, GeoLocation, GeoLookup } from './types.js';

export { type LookupAddress, lookupAddress } from './lookup-address.js';
export { normaliseRecord } from './normalise-record.js';
export { bundledDatabasePaths } from './open-database.js';
export type { GeoipOptions, GeoLocation, GeoLookup } from './types.js';

/** Cached addresses kept by default. */
export const DEFAULT_CACHE_MAX = 20_000;
/** Default cache lifetime, ms: 24 h, the seed system's geolocation cache. */
export const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
/** Attribution the GeoLite2 EULA (section 3) asks for wherever GeoLite2 data is shown. */
export const GEOLITE2_ATTRIBUTION =
  'This product includes GeoLite2 Data created by MaxMind, available from https://www.maxmind.com/.';

/**
 * Opens the geolocation database and returns a cached lookup for the request log path.
 * Without `options.file` it uses the bundled GeoLite2 City pair (IPv4 file + IPv6 file); with it, any
 * City/Country .mmdb in MaxMind's nested schema or ip-location-db's flat one.
 * Cache: `cacheMax` entries (default 20 000, bounding memory under floods of distinct IPs: issue 8), `ttlMs` lifetime (default 24 h, the seed system's
 * geolocation cache), measured with `options.now` (ms).
 * Throws an Error naming the option when `cacheMax`/`ttlMs` is not positive, or naming the path when the
 * file is missing, unreadable, not an .mmdb, or a database without locations (e.g. ASN).
 */
export async function openGeoip(options: GeoipOptions = {}): Promise<GeoLookup> {
  const max = checkPositive('cacheMax', options.cacheMax ?? DEFAULT_CACHE_MAX, true);
  const ttlMs = checkPositive('ttlMs', options.ttlMs ?? DEFAULT_TTL_MS, false);
  const databases =
    options.file === undefined ? await openBundled(options.bundledDir) : await openFile(options.file);
  const cache = new LookupCache({
    max,
    ttlMs,
    now: options.now ?? (() => performance.now()),
    load: (address: LookupAddress) => normaliseRecord(databases.record(address)),
  });

  return {
    source: databases.source,
    lookup(ip: string): GeoLocation | null {
      const cached = freshByRawInput(cache, ip);
      if (cached !== undefined) return cached.value;
      const address = lookupAddress(ip);
      return address === null ? null : cache.get(address);
    },
    cacheStats: () => cache.stats(),
  };
}

/**
 * Parsing costs more than the cache lookup itself (ipaddr.js: ~1.5 µs IPv4, ~5 µs IPv6), so try the raw
 * input first. Cache keys are only ever canonical public addresses, so an input equal to a key, or a
 * `::ffff:` mapped form of an IPv4 key (what a dual-stack Node socket reports), is that address.
 */
function freshByRawInput(cache: LookupCache<LookupAddress, GeoLocation | null>, ip: string) {
  const direct = cache.fresh(ip);
  if (direct !== undefined || !ip.startsWith('::ffff:') || ip.includes(':', 7)) return direct;
  return cache.fresh(ip.slice(7));
}

function checkPositive(option: string, value: number, integer: boolean): number {
  const valid = integer ? Number.isSafeInteger(value) && value > 0 : Number.isFinite(value) && value > 0;
  if (!valid) {
    throw new Error(
      `geoip option ${option} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`,
    );
  }
  return value;
}
