import path from 'node:path';
import { open } from 'maxmind';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeoip } from '../../geoip/index.js';
import { type Fixtures, writeFixtures } from './helpers/fixtures.js';

let fixtures: Fixtures;
beforeAll(() => {
  fixtures = writeFixtures();
});
afterAll(() => fixtures.remove());

describe('openGeoip with a MaxMind-style file (nested schema, IPv6 tree)', () => {
  it('is a file the maxmind package itself reads', async () => {
    const reader = await open(fixtures.nestedCity);
    expect(reader.metadata).toMatchObject({ databaseType: 'GeoLite2-City', ipVersion: 6, recordSize: 24 });
    expect(reader.get('81.2.69.142')).toMatchObject({ country: { iso_code: 'GB' } });
  });

  it('finds an IPv4 address stored under ::/96 and reads the nested fields', async () => {
    const geo = await openGeoip({ file: fixtures.nestedCity });
    expect(geo.lookup('81.2.69.142')).toEqual({
      country_iso_code: 'GB',
      country_name: 'United Kingdom',
      city_name: 'London',
      location: { lat: 51.5, lon: -0.1 },
    });
    expect(geo.lookup('::ffff:81.2.69.7')?.city_name).toBe('London');
  });

  it('falls back to the registered country when the network has no located country', async () => {
    const geo = await openGeoip({ file: fixtures.nestedCity });
    expect(geo.lookup('2a00:23c0:1::1')).toEqual({ country_iso_code: 'DE', country_name: 'Germany' });
  });

  it('gives null for a public address the file has no network for', async () => {
    const geo = await openGeoip({ file: fixtures.nestedCity });
    expect(geo.lookup('81.2.70.1')).toBeNull();
    expect(geo.lookup('2a01::1')).toBeNull();
  });

  it('names the database type and the absolute path as its source', async () => {
    const geo = await openGeoip({ file: fixtures.nestedCity });
    expect(geo.source).toBe(`GeoLite2-City from ${fixtures.nestedCity} (built 2025-11-13)`);
  });
});

describe('openGeoip with a flat-schema IPv4-only file', () => {
  it('reads the flat fields and names the country in English', async () => {
    const geo = await openGeoip({ file: fixtures.flatIpv4 });
    expect(geo.lookup('42.1.2.3')).toEqual({
      country_iso_code: 'CN',
      country_name: 'China',
      location: { lat: 34.7732, lon: 113.722 },
    });
  });

  it('never walks an IPv4-only tree with an IPv6 address', async () => {
    // The trap: maxmind answers with the record of 42.0.0.0/8, whose bits 2a00:: starts with.
    const raw = await open(fixtures.flatIpv4);
    expect(raw.get('2a00:1450::1')).toMatchObject({ country_code: 'CN' });

    const geo = await openGeoip({ file: fixtures.flatIpv4 });
    expect(geo.lookup('2a00:1450::1')).toBeNull();
  });

  it('ignores records a file holds for private and CGNAT ranges', async () => {
    const raw = await open(fixtures.flatIpv4);
    expect(raw.get('10.0.0.1')).toMatchObject({ country_code: 'US' });

    const geo = await openGeoip({ file: fixtures.flatIpv4 });
    expect(geo.lookup('10.0.0.1')).toBeNull();
    expect(geo.lookup('100.64.0.1')).toBeNull();
  });
});

describe('openGeoip with a bad file', () => {
  it('names the missing path', async () => {
    const missing = path.join(fixtures.dir, 'GeoLite2-City-missing.mmdb');
    await expect(openGeoip({ file: missing })).rejects.toThrow(`GeoIP database ${missing}: file not found`);
  });

  it('names a relative path by its absolute form', async () => {
    await expect(openGeoip({ file: 'no-such-dir/x.mmdb' })).rejects.toThrow(
      path.resolve('no-such-dir/x.mmdb'),
    );
  });

  it('says a directory is not a database', async () => {
    await expect(openGeoip({ file: fixtures.dir })).rejects.toThrow(`${fixtures.dir}: is a directory`);
  });

  it('says a file that is not an .mmdb is not one', async () => {
    await expect(openGeoip({ file: fixtures.junk })).rejects.toThrow(
      `GeoIP database ${fixtures.junk}: not a readable MaxMind DB (.mmdb) file`,
    );
  });

  it('refuses a database without locations, such as GeoLite2-ASN', async () => {
    await expect(openGeoip({ file: fixtures.asn })).rejects.toThrow(
      `GeoIP database ${fixtures.asn} is a GeoLite2-ASN database without locations`,
    );
  });
});
