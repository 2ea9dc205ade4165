import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeMmdb } from './write-mmdb.js';

/** Paths of small .mmdb files written for one test file; `remove()` deletes them. */
export interface Fixtures {
  /** MaxMind's nested schema in an IPv6 tree (IPv4 under ::/96), like GeoLite2-City.mmdb. */
  nestedCity: string;
  /** ip-location-db's flat schema in an IPv4-only tree. */
  flatIpv4: string;
  /** A valid .mmdb whose records carry no location. */
  asn: string;
  /** A file that is not an .mmdb. */
  junk: string;
  dir: string;
  remove(): void;
}

/** Writes the fixture files into a fresh temporary directory. */
export function writeFixtures(): Fixtures {
  const dir = mkdtempSync(path.join(tmpdir(), 'ipwarden-geoip-'));
  const fixtures: Fixtures = {
    nestedCity: path.join(dir, 'GeoLite2-City.mmdb'),
    flatIpv4: path.join(dir, 'flat-city-ipv4.mmdb'),
    asn: path.join(dir, 'GeoLite2-ASN.mmdb'),
    junk: path.join(dir, 'junk.mmdb'),
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  writeMmdb(fixtures.nestedCity, {
    ipVersion: 6,
    databaseType: 'GeoLite2-City',
    networks: [
      {
        cidr: '81.2.69.0/24',
        data: {
          country: { iso_code: 'GB', names: { en: 'United Kingdom', de: 'Vereinigtes Königreich' } },
          registered_country: { iso_code: 'GB', names: { en: 'United Kingdom' } },
          city: { names: { en: 'London' } },
          location: { latitude: 51.5, longitude: -0.1, accuracy_radius: 50 },
        },
      },
      // Like networks MaxMind can only place by registration: no `country`, no city, no location.
      { cidr: '2a00:23c0::/32', data: { registered_country: { iso_code: 'DE', names: { en: 'Germany' } } } },
    ],
  });
  writeMmdb(fixtures.flatIpv4, {
    ipVersion: 4,
    databaseType: 'city ipv4',
    networks: [
      // 42.0.0.0/8 shares its first 8 bits with 2a00::/8, so an IPv6 lookup walked through this
      // IPv4 tree would land here.
      {
        cidr: '42.0.0.0/8',
        data: { country_code: 'CN', city: '', latitude: 34.7732, longitude: 113.722, postcode: '' },
      },
      // Some third-party files carry records for private and CGNAT ranges; those must not be used.
      { cidr: '10.0.0.0/8', data: { country_code: 'US', city: 'Nowhere', latitude: 0, longitude: 0 } },
      { cidr: '100.64.0.0/10', data: { country_code: 'US', city: 'Nowhere', latitude: 0, longitude: 0 } },
    ],
  });
  writeMmdb(fixtures.asn, {
    ipVersion: 6,
    databaseType: 'GeoLite2-ASN',
    networks: [{ cidr: '81.2.69.0/24', data: { autonomous_system_number: 20712 } }],
  });
  writeFileSync(fixtures.junk, 'this is not a MaxMind database\n');
  return fixtures;
}
