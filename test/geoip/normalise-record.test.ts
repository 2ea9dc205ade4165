import { describe, expect, it } from 'vitest';
import { normaliseRecord } from '../../geoip/index.js';

describe('normaliseRecord', () => {
  it('reads the flat ip-location-db schema, dropping empty fields and float32 noise', () => {
    expect(
      normaliseRecord({
        city: 'Bracknell',
        country_code: 'GB',
        latitude: 51.40359878540039,
        longitude: -0.7617999911308289,
        postcode: 'RG12',
        state1: 'England',
        state2: '',
        timezone: 'Europe/London',
      }),
    ).toEqual({
      country_iso_code: 'GB',
      country_name: 'United Kingdom',
      city_name: 'Bracknell',
      location: { lat: 51.4036, lon: -0.7618 },
    });
    expect(normaliseRecord({ country_code: 'FR', city: '', state1: '' })).toEqual({
      country_iso_code: 'FR',
      country_name: 'France',
    });
  });

  it('reads the nested MaxMind schema, preferring its English names', () => {
    expect(
      normaliseRecord({
        continent: { code: 'EU', names: { en: 'Europe' } },
        country: { iso_code: 'CZ', names: { en: 'Czechia', de: 'Tschechien' } },
        city: { names: { de: 'Prag', en: 'Prague' } },
        location: { latitude: 50.088, longitude: 14.4208, time_zone: 'Europe/Prague' },
      }),
    ).toEqual({
      country_iso_code: 'CZ',
      country_name: 'Czechia',
      city_name: 'Prague',
      location: { lat: 50.088, lon: 14.4208 },
    });
  });

  it('names the country from its code when a nested record carries no English name', () => {
    expect(normaliseRecord({ country: { iso_code: 'JP', names: { ja: '日本' } } })).toEqual({
      country_iso_code: 'JP',
      country_name: 'Japan',
    });
  });

  it('gives null for records that place nothing in a country', () => {
    expect(normaliseRecord(null)).toBeNull();
    expect(normaliseRecord({ country_code: '' })).toBeNull();
    expect(normaliseRecord({ continent: { code: 'EU' } })).toBeNull();
    expect(normaliseRecord({ country: { iso_code: 'GBR' } })).toBeNull();
    expect(normaliseRecord({ autonomous_system_number: 20712 })).toBeNull();
  });

  it('omits coordinates that are missing or out of range', () => {
    expect(normaliseRecord({ country_code: 'US', latitude: 37.751 })).not.toHaveProperty('location');
    expect(normaliseRecord({ country_code: 'US', latitude: 91, longitude: 0 })).not.toHaveProperty(
      'location',
    );
  });
});
