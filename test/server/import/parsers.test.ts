import { describe, expect, it } from 'vitest';
import { detectFormat, PARSERS, parseApacheTime } from '../../../server/import/index.js';
import type { AccessRecord } from '../../../server/store/index.js';

const ok = (result: AccessRecord | string): AccessRecord => {
  if (typeof result === 'string') throw new Error(`rejected: ${result}`);
  return result;
};

describe('parseApacheTime', () => {
  it('applies the offset and refuses impossible dates', () => {
    expect(parseApacheTime('17/May/2015:10:05:03 +0000')).toBe(Date.parse('2015-05-17T10:05:03Z'));
    expect(parseApacheTime('17/May/2015:12:05:03 +0200')).toBe(Date.parse('2015-05-17T10:05:03Z'));
    expect(parseApacheTime('31/Feb/2015:10:05:03 +0000')).toBeNull();
    expect(parseApacheTime('17/Foo/2015:10:05:03 +0000')).toBeNull();
  });
});

describe('combined parser', () => {
  const parse = PARSERS.combined;
  it('keeps the line’s time, method, path, query, status, referrer and user agent', () => {
    const r = ok(
      parse(
        '203.0.113.7 - bob [17/May/2015:10:05:03 +0000] "post /login?next=%2F HTTP/1.1" 401 12 "https://x.example/" "curl/8.0"',
      ),
    );
    expect(r['@timestamp']).toBe('2015-05-17T10:05:03.000Z');
    expect(r.source.ip).toBe('203.0.113.7');
    expect(r.http).toEqual({
      request: { method: 'POST', referrer: 'https://x.example/' },
      response: { status_code: 401 },
    });
    expect(r.url).toEqual({ path: '/login', query: 'next=%2F' });
    expect(r.user_agent?.original).toBe('curl/8.0');
  });
  it('handles escaped quotes, \\x escapes, "-" fields, IPv6 and a missing closing quote at the end', () => {
    const r = ok(
      parse(
        '2001:db8::1 - - [17/May/2015:10:05:03 +0000] "GET /a\\"b HTTP/1.1" 200 - "-" "Mozilla \\"x\\" \\x41\\\\"',
      ),
    );
    expect(r.url.path).toBe('/a"b');
    expect(r.http.request.referrer).toBeUndefined();
    expect(r.user_agent?.original).toBe('Mozilla "x" A\\');
    const truncated = ok(
      parse(
        '46.118.127.106 - - [20/May/2015:12:05:17 +0000] "GET / HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Goo',
      ),
    );
    expect(truncated.user_agent?.original).toBe('Mozilla/5.0 (compatible; Goo');
  });
  it('rejects with a reason: wrong shape, host names, bad times, junk request lines, weird bytes', () => {
    expect(parse('hello world')).toMatch(/not combined format/);
    expect(parse('example.com - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "a"')).toMatch(
      /not an IP address/,
    );
    expect(parse('1.2.3.4 - - [32/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "a"')).toMatch(/time/);
    expect(parse('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "\\x16\\x03\\x01" 400 1 "-" "-"')).toMatch(
      /METHOD TARGET/,
    );
    expect(
      parse('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "\u0000\uFFFD\u202E"'),
    ).not.toBeTypeOf('string');
    expect(parse('\u0000\u0001\uFFFD')).toMatch(/not combined/);
  });
});

describe('common parser', () => {
  it('parses CLF lines and refuses combined ones', () => {
    const r = ok(PARSERS.common('10.0.0.1 - - [01/Jan/2024:00:00:00 -0500] "GET /x HTTP/1.0" 404 -'));
    expect(r['@timestamp']).toBe('2024-01-01T05:00:00.000Z');
    expect(r.http.response.status_code).toBe(404);
    expect(
      PARSERS.common('10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.0" 200 1 "-" "ua"'),
    ).toBeTypeOf('string');
  });
});

describe('nginx-json parser', () => {
  const parse = PARSERS['nginx-json'];
  it('reads nginx variable names, time_iso8601 or time_local, request_time in seconds', () => {
    const r = ok(
      parse(
        JSON.stringify({
          remote_addr: '198.51.100.4',
          time_iso8601: '2024-03-01T12:00:00+01:00',
          request_method: 'GET',
          request_uri: '/p?q="1"',
          status: '503',
          http_user_agent: 'ua "quoted"\n',
          http_referer: '-',
          request_time: '0.250',
        }),
      ),
    );
    expect(r['@timestamp']).toBe('2024-03-01T11:00:00.000Z');
    expect(r.url).toEqual({ path: '/p', query: 'q="1"' });
    expect(r.http.response.status_code).toBe(503);
    expect(r.event.duration).toBe(250_000_000);
    expect(r.user_agent?.original).toBe('ua "quoted"\n');
    expect(r.http.request.referrer).toBeUndefined();
    const local = ok(
      parse(
        '{"remote_addr":"1.2.3.4","time_local":"17/May/2015:10:05:03 +0000","request":"HEAD / HTTP/1.1","status":200}',
      ),
    );
    expect(local.http.request.method).toBe('HEAD');
  });
  it('rejects non-JSON, arrays and missing fields with a reason', () => {
    expect(parse('{"remote_addr": ')).toMatch(/not JSON/);
    expect(parse('[1,2]')).toMatch(/not a JSON object/);
    expect(parse('{"remote_addr":"1.2.3.4","time_iso8601":"2024-03-01T12:00:00Z","status":200}')).toMatch(
      /request/,
    );
  });
});

describe('ecs-ndjson parser', () => {
  const parse = PARSERS['ecs-ndjson'];
  it('keeps the ECS fields ipwarden writes and drops geo (recomputed)', () => {
    const doc = {
      '@timestamp': '2024-03-01T12:00:00.123Z',
      source: { ip: '203.0.113.9', geo: { country_iso_code: 'ZZ' } },
      http: { request: { method: 'GET' }, response: { status_code: 429 } },
      url: { path: '/login' },
      event: { action: 'rate_limited', duration: 1200 },
      rule: { name: 'login' },
    };
    const r = ok(parse(JSON.stringify(doc)));
    expect(r).toEqual({ ...doc, source: { ip: '203.0.113.9' } });
  });
  it('accepts client.ip and url.original, rejects a bad event.action as allowed and missing fields', () => {
    const r = ok(
      parse(
        '{"@timestamp":"2024-03-01T12:00:00Z","client":{"ip":"::1"},"http":{"request":{"method":"GET"},"response":{"status_code":200}},"url":{"original":"/a?b"},"event":{"action":"<script>"}}',
      ),
    );
    expect(r.url).toEqual({ path: '/a', query: 'b' });
    expect(r.event.action).toBe('allowed');
    expect(parse('{"@timestamp":"nope"}')).toMatch(/@timestamp/);
  });
});

describe('detectFormat', () => {
  it('picks the format that parses most of the sample', () => {
    const combined = '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"';
    const common = '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1';
    const nginx =
      '{"remote_addr":"1.2.3.4","time_local":"17/May/2015:10:05:03 +0000","request":"GET / HTTP/1.1","status":200}';
    const ecs =
      '{"@timestamp":"2024-03-01T12:00:00Z","source":{"ip":"1.2.3.4"},"http":{"request":{"method":"GET"},"response":{"status_code":200}},"url":{"path":"/"},"event":{"action":"allowed","duration":0}}';
    expect(detectFormat([combined, 'garbage', combined])).toBe('combined');
    expect(detectFormat([common, common])).toBe('common');
    expect(detectFormat([nginx])).toBe('nginx-json');
    expect(detectFormat([ecs])).toBe('ecs-ndjson');
    expect(detectFormat(['garbage'])).toBeNull();
  });
});
