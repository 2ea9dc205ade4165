import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PARSERS } from '../../../../server/import/index.js';
import { unescapeQuoted } from '../../../../server/import/parsers/clf-fields.js';
import { scanClfPrefix } from '../../../../server/import/parsers/clf-scan.js';

/** The regular expressions the indexOf scanners replaced: the reference they must agree with. */
const COMBINED =
  /^(\S+) \S+ \S+ \[([^\]]*)\] "((?:[^"\\]|\\.)*)" (\d{3}) (?:\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)(?:"|\\?$)/;
const COMMON = /^(\S+) \S+ \S+ \[([^\]]*)\] "((?:[^"\\]|\\.)*)" (\d{3}) (?:\d+|-)\s*$/;

/** Lines made of the characters that matter to the grammar, so that near-misses are common. */
const piece = fc.constantFrom(' ', '"', '\\', '[', ']', '-', '1', '20', 'a', 'GET /x', '\\"', '200 ', '" "');
const noisyLine = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(''));
/** Quoted-field text; no line separators, which the expressions' `.` does not match (a documented difference). */
const field = fc.string({
  unit: fc.constantFrom('a', ' ', '"', '\\', '/', '-', '\u00e9', '\t'),
  maxLength: 8,
});
const shapedLine = fc
  .record({
    ident: fc.constantFrom('-', 'x', ''),
    time: fc.constantFrom('17/May/2015:10:05:03 +0000', 'x]y', ''),
    request: field,
    status: fc.constantFrom('200', '20', '2000', 'abc'),
    size: fc.constantFrom('-', '123', '', 'x'),
    referrer: field,
    userAgent: field,
    close: fc.constantFrom('"', '', '" 0.1', '\\'),
  })
  .map(
    (f) =>
      `1.2.3.4 ${f.ident} - [${f.time}] "${f.request}" ${f.status} ${f.size} "${f.referrer}" "${f.userAgent}${f.close}`,
  );

describe('the indexOf CLF scanners', () => {
  it('accept exactly the lines the combined regular expression accepts, with the same fields', () => {
    fc.assert(
      fc.property(fc.oneof(noisyLine, shapedLine), (line) => {
        const m = COMBINED.exec(line);
        const scanned = scanClfPrefix(line);
        const parsed = PARSERS.combined(line);
        if (m === null) {
          expect(typeof parsed).toBe('string');
          return;
        }
        expect(scanned?.fields).toMatchObject({ host: m[1], time: m[2], request: m[3], status: m[4] });
        if (typeof parsed === 'string') return; // the regex matched but a field is invalid (time, request)
        const ua = m[6] as string;
        expect(parsed.user_agent?.original).toBe(ua === '' || ua === '-' ? undefined : unescapeQuoted(ua));
      }),
      { numRuns: 3000 },
    );
  });

  it('accept exactly the lines the common regular expression accepts', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          noisyLine,
          shapedLine.map((l) => l.slice(0, l.indexOf(' "', l.indexOf(']')))),
        ),
        (line) => {
          const commonShape = COMMON.test(line);
          const parsed = PARSERS.common(line);
          if (!commonShape) expect(parsed).toMatch(/not common format/);
          else expect(parsed).not.toMatch(/not common format/);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('accept a backslash before a Unicode line separator, which the expression refused (kept as is)', () => {
    const line = '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /\\\u2028" 200 - "-" "ua"';
    expect(COMBINED.exec(line)).toBeNull();
    const parsed = PARSERS.combined(line);
    expect(typeof parsed === 'string' ? parsed : parsed.url.path).toBe('/\\\u2028');
  });

  it('keep the whole user agent of a line whose closing quote was cut off, minus a dangling backslash', () => {
    const line = '1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla \\"x\\" ab\\';
    const parsed = PARSERS.combined(line);
    expect(typeof parsed === 'string' ? parsed : parsed.user_agent?.original).toBe('Mozilla "x" ab');
  });
});
