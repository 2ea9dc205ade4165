import fc from 'fast-check';
import type { AccessRecord } from '../../server/store/index.js';

/** Text a client could send: line breaks, quotes, NUL, lone surrogates, emoji, any UTF-16 unit. */
export const hostileText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\n', '\r', '"', '\\', '<', '\u2028', '\u0000', '😀', 'é'),
    fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 30,
});

/** Any access record the proxy could write, with hostile text in every free-text field. */
export const recordArbitrary: fc.Arbitrary<AccessRecord> = fc.record(
  {
    '@timestamp': fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2099-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString()),
    source: fc.record(
      {
        ip: fc.oneof(fc.ipV4(), fc.ipV6()),
        geo: fc.record(
          {
            country_iso_code: fc.constantFrom('DE', 'US', 'GB', 'JP'),
            country_name: hostileText,
            city_name: hostileText,
            location: fc.record({
              lat: fc.integer({ min: -900_000, max: 900_000 }).map((n) => n / 10_000),
              lon: fc.integer({ min: -1_800_000, max: 1_800_000 }).map((n) => n / 10_000),
            }),
          },
          { requiredKeys: ['country_iso_code'] },
        ),
      },
      { requiredKeys: ['ip'] },
    ),
    http: fc.record({
      request: fc.record(
        { method: fc.constantFrom('GET', 'POST'), referrer: hostileText },
        { requiredKeys: ['method'] },
      ),
      response: fc.record({ status_code: fc.integer({ min: 100, max: 599 }) }),
    }),
    url: fc.record(
      { path: hostileText.map((text) => `/${text}`), query: hostileText },
      { requiredKeys: ['path'] },
    ),
    user_agent: fc.record({ original: hostileText }),
    event: fc.record(
      {
        action: fc.constantFrom('allowed', 'blocked', 'rate_limited'),
        duration: fc.integer({ min: 0, max: 2 ** 40 }),
        id: hostileText,
      },
      { requiredKeys: ['action', 'duration'] },
    ),
    rule: fc.record({ name: hostileText }),
  },
  { requiredKeys: ['@timestamp', 'source', 'http', 'url', 'event'] },
);
