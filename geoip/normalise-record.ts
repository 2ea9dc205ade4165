import type { GeoLocation } from './types.js';

type Fields = Record<string, unknown>;

// Created once: constructing DisplayNames loads ICU data and costs far more than a lookup.
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/**
 * Turns one mmdb record into ECS geo fields, or `null` when it names no country.
 * Accepts both schemas, detected per record: the flat one of ip-location-db (`country_code`, `city`,
 * `latitude`, `longitude`) and MaxMind's nested GeoIP2/GeoLite2 one (`country.iso_code`,
 * `country.names.en`, `city.names.en`, `location.latitude`; `registered_country` when `country` is absent).
 * Empty strings are omitted; the English country name comes from `Intl.DisplayNames` when the record has none;
 * coordinates are rounded to 4 decimal places, GeoLite2's published precision (flat files store float32).
 */
export function normaliseRecord(record: unknown): GeoLocation | null {
  if (!isFields(record)) return null;
  return typeof record.country_code === 'string' ? fromFlat(record) : fromNested(record);
}

function fromFlat(record: Fields): GeoLocation | null {
  return geoLocation({
    code: record.country_code,
    city: record.city,
    lat: record.latitude,
    lon: record.longitude,
  });
}

function fromNested(record: Fields): GeoLocation | null {
  const country = [record.country, record.registered_country].find(
    (candidate) => isFields(candidate) && nonEmpty(candidate.iso_code) !== undefined,
  ) as Fields | undefined;
  const location = isFields(record.location) ? record.location : {};
  return geoLocation({
    code: country?.iso_code,
    name: englishName(country),
    city: englishName(record.city),
    lat: location.latitude,
    lon: location.longitude,
  });
}

interface RawFields {
  code: unknown;
  name?: unknown;
  city: unknown;
  lat: unknown;
  lon: unknown;
}

function geoLocation(raw: RawFields): GeoLocation | null {
  const code = countryCode(raw.code);
  if (code === undefined) return null;
  const geo: GeoLocation = { country_iso_code: code };
  const name = nonEmpty(raw.name) ?? regionNames.of(code);
  if (name !== undefined) geo.country_name = name;
  const city = nonEmpty(raw.city);
  if (city !== undefined) geo.city_name = city;
  const location = coordinates(raw.lat, raw.lon);
  if (location !== undefined) geo.location = location;
  return geo;
}

function countryCode(value: unknown): string | undefined {
  // DisplayNames throws a RangeError on anything that is not a region subtag, so check the shape first.
  return typeof value === 'string' && /^[A-Za-z]{2}$/.test(value) ? value.toUpperCase() : undefined;
}

function coordinates(lat: unknown, lon: unknown): GeoLocation['location'] {
  if (typeof lat !== 'number' || typeof lon !== 'number') return undefined;
  if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) return undefined;
  return { lat: round4(lat), lon: round4(lon) };
}

function round4(degrees: number): number {
  return Math.round(degrees * 1e4) / 1e4;
}

function englishName(node: unknown): string | undefined {
  return isFields(node) && isFields(node.names) ? nonEmpty(node.names.en) : undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null;
}
