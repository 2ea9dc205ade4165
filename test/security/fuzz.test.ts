import { writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, envName, loadConfig, OPTION_KEYS } from '../../server/config.js';
import { AddressError, parseCidr, tryParseAddress } from '../../server/net/index.js';
import { parseAccessRecord, serialiseAccessRecord } from '../../server/store/index.js';
import { hostileText, recordArbitrary } from '../helpers/arbitraries.js';
import { makeTempDir } from '../server/helpers/temp-dir.js';

/**
 * Fuzzing the parsers that see hostile or hand-written input, thousands of generated inputs each:
 * no crash (only the documented error), no wrong accept. The X-Forwarded-For and Forwarded parsers
 * are fuzzed in test/server/proxy/{client-ip,forwarding-headers}.test.ts (also in this suite).
 */
const addressish = fc.string({
  unit: fc.constantFrom(...'0123456789abcdefABCDEF:./%[] x-'.split(''), '::', 'ffff', '255', '1.2.3.4', '/'),
  maxLength: 50,
});

describe('IP and CIDR parser fuzzing', () => {
  it('accepts only what Node also calls an address, in canonical form, and throws nothing but AddressError', () => {
    fc.assert(
      fc.property(fc.oneof(addressish, fc.string({ maxLength: 60 }), fc.ipV4(), fc.ipV6()), (text) => {
        const address = tryParseAddress(text);
        if (address === null) return;
        expect(isIP(text.trim())).not.toBe(0);
        expect(tryParseAddress(address.text)?.text).toBe(address.text);
      }),
      { numRuns: 10_000 },
    );
  });

  it('a CIDR is either refused with AddressError or has a valid prefix and cleared host bits', () => {
    const cidrText = fc.oneof(
      fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6(), addressish), fc.oneof(fc.nat(140).map(String), addressish)),
      fc.tuple(addressish, fc.constant('')),
    );
    fc.assert(
      fc.property(cidrText, ([address, prefix]) => {
        const text = prefix === '' ? address : `${address}/${prefix}`;
        let cidr: ReturnType<typeof parseCidr>;
        try {
          cidr = parseCidr(text);
        } catch (err) {
          expect(err).toBeInstanceOf(AddressError);
          return;
        }
        const max = cidr.network.family === 4 ? 32 : 128;
        expect(cidr.prefix).toBeGreaterThanOrEqual(0);
        expect(cidr.prefix).toBeLessThanOrEqual(max);
        expect(parseCidr(cidr.text).text).toBe(cidr.text);
        expect(parseCidr(`${cidr.network.text}/${cidr.prefix}`).network.text).toBe(cidr.network.text);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('access-record serialiser fuzzing', () => {
  it('any record, whatever a client sent, is one line that reads back deep-equal', () => {
    fc.assert(
      fc.property(recordArbitrary, (record) => {
        const line = serialiseAccessRecord(record);
        expect(line).not.toMatch(/[\n\r]/);
        expect(parseAccessRecord(line)).toEqual(record);
      }),
      { numRuns: 5_000 },
    );
  });

  it('a hostile path or user agent never makes an extra record in a segment', () => {
    fc.assert(
      fc.property(fc.array(recordArbitrary, { minLength: 1, maxLength: 20 }), (records) => {
        const segment = `${records.map(serialiseAccessRecord).join('\n')}\n`;
        const lines = segment.split('\n').slice(0, -1);
        expect(lines).toHaveLength(records.length);
        expect(lines.map(parseAccessRecord)).toEqual(records);
      }),
      { numRuns: 1_000 },
    );
  });

  it('a foreign or torn line is null, never an exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileText,
          fc.json(),
          recordArbitrary.map((r) => serialiseAccessRecord(r).slice(0, -3)),
        ),
        (line) => {
          const parsed = parseAccessRecord(line);
          if (parsed !== null) expect(typeof parsed.source.ip).toBe('string');
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('config loader fuzzing', () => {
  let cwd: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir: cwd, cleanup } = await makeTempDir());
  });
  afterAll(() => cleanup());

  /** Either a config whose values hold the documented invariants, or a ConfigError naming a field. */
  function check(load: () => ReturnType<typeof loadConfig>, given: string[]): void {
    let config: ReturnType<typeof loadConfig>;
    try {
      config = load();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      if (message.startsWith('invalid configuration')) {
        expect(given.some((key) => message.includes(`  ${key}`))).toBe(true);
      }
      return;
    }
    for (const { port } of [config.listen, config.admin]) expect(port >= 0 && port <= 65535).toBe(true);
    for (const ms of [
      config.upstreamTimeout,
      config.headersTimeout,
      config.requestTimeout,
      config.flushInterval,
    ])
      expect(Number.isSafeInteger(ms) && ms > 0).toBe(true);
    expect(config.headersTimeout).toBeLessThanOrEqual(config.requestTimeout);
    for (const cidr of config.trustProxy) expect(parseCidr(cidr.text).text).toBe(cidr.text);
    expect(['x-forwarded-for', 'forwarded']).toContain(config.forwardedHeader);
  }

  const value = fc.oneof(
    fc.anything({ maxDepth: 2 }),
    fc.constantFrom('127.0.0.1:1', '10s', '0', '-1', 'loopback', '10.0.0.0/33', 'redis://x', 'forwarded', ''),
    fc.string({ maxLength: 20 }),
    fc.integer(),
  );
  const keys = fc.constantFrom(...OPTION_KEYS, 'rateLimits', 'detection', 'schedule', 'bogus', '__proto__');

  it('environment variables: a valid config or a ConfigError naming the variable’s field', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...OPTION_KEYS), fc.string({ maxLength: 30 })), (values) => {
        const env = Object.fromEntries(Object.entries(values).map(([k, v]) => [envName(k), v]));
        check(() => loadConfig({ env, cwd }), Object.keys(values));
      }),
      { numRuns: 3_000 },
    );
  });

  it('flags and config-file objects of any shape: a valid config or a ConfigError naming a field', () => {
    const file = path.join(cwd, 'fuzz.json');
    fc.assert(
      fc.property(
        fc.dictionary(keys, value, { maxKeys: 6 }),
        fc.dictionary(keys, value, { maxKeys: 4 }),
        (fromFile, flags) => {
          writeFileSync(file, JSON.stringify(fromFile) ?? 'null');
          check(
            () => loadConfig({ env: {}, cwd, configFile: file, flags }),
            [...Object.keys(fromFile), ...Object.keys(flags)],
          );
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
