import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../server/config.js';
import { tryParseAddress } from '../../server/net/address.js';
import {
  compileGlob,
  compilePathPattern,
  globMatch,
  PathPatternError,
} from '../../server/net/path-pattern.js';

/**
 * No user-supplied pattern can cause catastrophic backtracking: path patterns run as an automaton
 * whose work is bounded by 2 × (pattern + 1) × (path + 1) steps (counted, not timed), raw regular
 * expressions are not a pattern syntax, and fixed parsers that see hostile text refuse long input
 * before matching.
 */
const bound = (pattern: string, path: string) => 2 * (compileGlob(pattern).length + 1) * (path.length + 1);

describe('path patterns: bounded work, no backtracking', () => {
  const classic: [string, string][] = [
    ['/**a**a**a**a**a**b', `/${'a'.repeat(16_000)}`],
    ['/*a*a*a*a*a*a*a*b', `/${'a'.repeat(16_000)}`],
    ['/**/*a*a*a*a*a*b', `/${'a/'.repeat(4_000)}${'a'.repeat(8_000)}`],
    [`/${'*a'.repeat(250)}b`, `/${'a'.repeat(16_000)}`],
    [`/${'**/'.repeat(170)}x`, `/${'/'.repeat(16_000)}`],
    ['/(a+)+$', `/${'a'.repeat(16_000)}!`], // a regex is plain text here
  ];

  it.each(classic)('%s against a 16k adversarial path stays within the step bound', (pattern, path) => {
    const { matched, steps } = globMatch(compileGlob(pattern), path);
    expect(matched).toBe(false);
    expect(steps).toBeLessThanOrEqual(bound(pattern, path));
    expect(compilePathPattern(pattern).matches(path)).toBe(false);
  });

  it('is linear in the path: doubling the path at most doubles the steps', () => {
    const glob = compileGlob('/**a**a**a**b');
    const steps = (n: number) => globMatch(glob, `/${'a'.repeat(n)}`).steps;
    expect(steps(16_000) / steps(8_000)).toBeLessThan(2.01);
  });

  it('never exceeds the bound on random patterns and paths (fast-check)', () => {
    const pattern = fc
      .array(fc.constantFrom('a', 'b', '/', '*', '**', '.'), { maxLength: 40 })
      .map((p) => `/${p.join('')}`);
    const path = fc
      .array(fc.constantFrom('a', 'b', '/', '.'), { maxLength: 200 })
      .map((p) => `/${p.join('')}`);
    fc.assert(
      fc.property(pattern, path, (p, s) => {
        expect(globMatch(compileGlob(p), s).steps).toBeLessThanOrEqual(bound(p, s));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses patterns that are not absolute paths or longer than 512 characters', () => {
    for (const source of ['(a+)+$', '^/login$', `/${'a'.repeat(512)}`])
      expect(() => compilePathPattern(source)).toThrow(PathPatternError);
  });
});

describe('fixed parsers refuse long hostile text before matching', () => {
  it('durations: the old quadratic input is refused, short forms still parse', () => {
    expect(parseDuration(`1${' '.repeat(60_000)}x`)).toBeNull();
    expect(parseDuration(`1${' '.repeat(60_000)}s`)).toBeNull();
    expect(parseDuration(' 5 m ')).toBe(300_000);
    expect(parseDuration('250ms')).toBe(250);
  });

  it('addresses: text longer than the longest address is refused', () => {
    expect(tryParseAddress('0000:0000:0000:0000:0000:ffff:255.255.255.255')).toEqual(
      expect.objectContaining({ text: '255.255.255.255' }),
    );
    expect(tryParseAddress(`1:${'1:'.repeat(5_000)}1`)).toBeNull();
  });
});
