import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../../server/store/access-record.js';
import { accessRecordJson } from '../../../server/store/access-record-json.js';

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/** Plain text, any code point, and any UTF-16 code unit (lone surrogates included). */
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: codeUnit }));
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Records built in the field order the proxy and the importers use. */
const record = fc
  .record({
    at: text,
    ip: text,
    geo: optional(
      fc.record({
        code: text,
        name: optional(text),
        city: optional(text),
        location: optional(fc.record({ lat: fc.double(), lon: fc.double() })),
      }),
    ),
    method: text,
    referrer: optional(text),
    status: fc.oneof(fc.integer(), fc.double()),
    path: text,
    query: optional(text),
    action: fc.constantFrom('allowed', 'blocked', 'rate_limited'),
    duration: fc.oneof(fc.nat(), fc.double()),
    id: optional(text),
    userAgent: optional(text),
    rule: optional(text),
  })
  .map((f) => {
    const r: AccessRecord = {
      '@timestamp': f.at,
      source: { ip: f.ip },
      http: { request: { method: f.method }, response: { status_code: f.status } },
      url: { path: f.path },
      event: { action: f.action as AccessRecord['event']['action'], duration: f.duration },
    };
    if (f.geo) {
      r.source.geo = { country_iso_code: f.geo.code };
      if (f.geo.name !== undefined) r.source.geo.country_name = f.geo.name;
      if (f.geo.city !== undefined) r.source.geo.city_name = f.geo.city;
      if (f.geo.location !== undefined) r.source.geo.location = f.geo.location;
    }
    if (f.referrer !== undefined) r.http.request.referrer = f.referrer;
    if (f.query !== undefined) r.url.query = f.query;
    if (f.id !== undefined) r.event.id = f.id;
    if (f.userAgent !== undefined) r.user_agent = { original: f.userAgent };
    if (f.rule !== undefined) r.rule = { name: f.rule };
    return r;
  });

describe('accessRecordJson', () => {
  it('writes exactly what JSON.stringify writes, escapes, lone surrogates and non-finite numbers included', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(accessRecordJson(r)).toBe(JSON.stringify(r));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves out undefined fields and hands records with foreign top-level fields to JSON.stringify', () => {
    const r: AccessRecord = {
      '@timestamp': '2024-03-01T10:00:00.000Z',
      source: { ip: '1.2.3.4', geo: undefined },
      http: { request: { method: 'GET', referrer: undefined }, response: { status_code: 200 } },
      url: { path: '/', query: undefined },
      event: { action: 'allowed', duration: 0 },
      user_agent: undefined,
    };
    expect(accessRecordJson(r)).toBe(JSON.stringify(r));
    const extra = { ...r, labels: { team: 'a' } };
    expect(accessRecordJson(extra)).toBe(JSON.stringify(extra));
    const circular = { ...r } as AccessRecord & { self?: unknown };
    circular.self = circular;
    expect(() => accessRecordJson(circular)).toThrow(TypeError);
    expect(() =>
      accessRecordJson({ ...r, event: { action: 'allowed', duration: 1n as unknown as number } }),
    ).toThrow(TypeError);
  });
});
