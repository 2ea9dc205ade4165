import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePathPattern, normalisePath, PathPatternError } from '../../../server/net/path-pattern.js';

const matches = (pattern: string, path: string) => compilePathPattern(pattern).matches(path);

describe('compilePathPattern: exact paths', () => {
  it('matches the path itself and nothing longer or shorter', () => {
    expect(matches('/login', '/login')).toBe(true);
    expect(matches('/login', '/login2')).toBe(false);
    expect(matches('/login', '/logi')).toBe(false);
    expect(matches('/login', '/login/x')).toBe(false);
    expect(matches('/login', '/api/login')).toBe(false);
  });

  it('ignores one trailing slash on either side', () => {
    expect(matches('/login', '/login/')).toBe(true);
    expect(matches('/api/login/', '/api/login')).toBe(true);
    expect(matches('/api/login/', '/api/login/')).toBe(true);
    expect(matches('/', '/')).toBe(true);
    expect(matches('/', '/x')).toBe(false);
  });

  it('is case-sensitive and treats regex metacharacters literally', () => {
    expect(matches('/login', '/LOGIN')).toBe(false);
    expect(matches('/a.php', '/aXphp')).toBe(false);
    expect(matches('/a+(b)?', '/a+(b)?')).toBe(true);
    expect(matches('/a+(b)?', '/aa(b)')).toBe(false);
  });

  it('keeps the source it was compiled from', () => {
    expect(compilePathPattern('/wp-admin/**').source).toBe('/wp-admin/**');
  });
});

describe('compilePathPattern: globs', () => {
  it('`/dir/**` covers the directory itself and everything below it', () => {
    expect(matches('/wp-admin/**', '/wp-admin')).toBe(true);
    expect(matches('/wp-admin/**', '/wp-admin/')).toBe(true);
    expect(matches('/wp-admin/**', '/wp-admin/x')).toBe(true);
    expect(matches('/wp-admin/**', '/wp-admin/x/y/z.php')).toBe(true);
    expect(matches('/wp-admin/**', '/wp-administrator')).toBe(false);
    expect(matches('/wp-admin/**', '/wp')).toBe(false);
    expect(matches('/wp-admin/**', '/')).toBe(false);
  });

  it('`*` stays within one segment', () => {
    expect(matches('/*.php', '/x.php')).toBe(true);
    expect(matches('/*.php', '/.php')).toBe(true);
    expect(matches('/*.php', '/a/x.php')).toBe(false);
    expect(matches('/*.php', '/x.phpx')).toBe(false);
    expect(matches('/*/admin', '/a/admin')).toBe(true);
    expect(matches('/*/admin', '/a/b/admin')).toBe(false);
    expect(matches('/user/*', '/user/42')).toBe(true);
    expect(matches('/user/*', '/user/42/edit')).toBe(false);
  });

  it('`**` crosses segments', () => {
    expect(matches('/**.php', '/a/b/x.php')).toBe(true);
    expect(matches('/**', '/')).toBe(true);
    expect(matches('/**', '/any/thing')).toBe(true);
    expect(matches('/api/**/edit', '/api/users/7/edit')).toBe(true);
    expect(matches('/api/**/edit', '/api/users/7/view')).toBe(false);
  });

  it('`**` followed by a one-segment `*` finds files at any depth', () => {
    expect(matches('/**/*.php', '/a/x.php')).toBe(true);
    expect(matches('/**/*.php', '/a/b/x.php')).toBe(true);
    expect(matches('/**/*.php', '/a/b/c/d/shell.php')).toBe(true);
    expect(matches('/**/*.php', '/a/b/x.php/y')).toBe(false);
    expect(matches('/**/cgi-bin/*.cgi', '/x/y/cgi-bin/test.cgi')).toBe(true);
    expect(matches('/**/cgi-bin/*.cgi', '/x/y/cgi-bin/a/test.cgi')).toBe(false);
  });

  it('agrees with an equivalent regular expression on random patterns and paths', () => {
    const piece = fc.constantFrom('a', 'b', '/', '*', '**', '.');
    const pattern = fc.array(piece, { maxLength: 8 }).map((parts) => `/${parts.join('')}`);
    const path = fc
      .array(fc.constantFrom('a', 'b', '/', '.'), { maxLength: 10 })
      .map((chars) => `/${chars.join('')}`);
    fc.assert(
      fc.property(pattern, path, (p, s) => {
        expect(matches(p, s)).toBe(referenceMatch(p, s));
      }),
      { numRuns: 5000 },
    );
  });

  it('finishes on patterns and paths built to make a backtracking matcher explode', () => {
    const path = `/${'a'.repeat(5000)}`;
    expect(matches('/**a**a**a**a**a**b', path)).toBe(false);
    expect(matches('/*a*a*a*a*a*a*a*b', path)).toBe(false);
    expect(matches('/**/*a*a*a*a*a*b', `/${'a/'.repeat(2000)}${'a'.repeat(2000)}`)).toBe(false);
    expect(matches(`/${'*a'.repeat(200)}`, path)).toBe(true);
  });
});

describe('compilePathPattern: refused patterns', () => {
  it.each(['', 'login', '*.php', ' /login', 'https://x/login'])('refuses %j, naming it', (source) => {
    expect(() => compilePathPattern(source)).toThrow(PathPatternError);
    expect(() => compilePathPattern(source)).toThrow(JSON.stringify(source));
  });

  it('accepts 512 characters and refuses 513', () => {
    expect(compilePathPattern(`/${'a'.repeat(511)}`).matches(`/${'a'.repeat(511)}`)).toBe(true);
    expect(() => compilePathPattern(`/${'a'.repeat(512)}`)).toThrow(/at most 512 characters/);
  });

  it('refuses a non-string with a PathPatternError rather than a TypeError', () => {
    expect(() => compilePathPattern(42 as unknown as string)).toThrow(PathPatternError);
  });
});

describe('letter case', () => {
  it('is ignored on both sides: a pattern typed in capitals matches a normalised path', () => {
    expect(matches('/Admin/**', normalisePath('/ADMIN/users'))).toBe(true);
    expect(matches('/WP-LOGIN.PHP', normalisePath('/wp-login.php'))).toBe(true);
    expect(compilePathPattern('/Admin/**').source).toBe('/Admin/**'); // shown as typed
  });
});

describe('normalisePath', () => {
  it.each([
    ['/login', '/login'],
    ['//login', '/login'],
    ['///login//', '/login/'],
    ['/./login', '/login'],
    ['/a/../login', '/login'],
    ['/a/b/../../login', '/login'],
    ['/../../login', '/login'],
    ['/%6Cogin', '/login'],
    ['/%6c%6F%67%69%6E', '/login'],
    ['/%2e%2e/login', '/login'],
    ['/a/%2E%2E/login', '/login'],
    ['/api/login/', '/api/login/'],
    ['/', '/'],
    ['//', '/'],
    ['/LOGIN', '/login'],
    ['/Wp-Admin/../Login', '/login'],
    ['/%4Cogin', '/login'],
  ])('%s → %s', (raw, normalised) => {
    expect(normalisePath(raw)).toBe(normalised);
  });

  it('leaves reserved characters encoded (in lower case, as the rest), so an encoded slash is not a separator', () => {
    expect(normalisePath('/a%2Fb')).toBe('/a%2fb');
    expect(normalisePath('/a%2fb')).toBe('/a%2fb');
    expect(normalisePath('/login%2F..')).toBe('/login%2f..');
    expect(normalisePath('/%25')).toBe('/%25');
    expect(normalisePath('/a%20b')).toBe('/a%20b');
  });

  it('decodes only once, so a double-encoded dot segment stays inert', () => {
    expect(normalisePath('/%252e%252e/login')).toBe('/%252e%252e/login');
  });

  it('leaves malformed escapes alone', () => {
    expect(normalisePath('/%zz/%4')).toBe('/%zz/%4');
  });

  it('makes every spelling of /login match a /login rule', () => {
    const rule = compilePathPattern('/login');
    for (const raw of ['//login', '/./login', '/x/../login', '/%6Cogin', '/login/', '/%2E/login', '/Login']) {
      expect(rule.matches(normalisePath(raw)), raw).toBe(true);
    }
  });

  it('is idempotent and always yields an absolute path without dot segments', () => {
    const segment = fc.constantFrom('a', 'login', '.', '..', '', '%2e', '%2E%2e', '%6C', '%2F', 'x%41');
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.boolean(), (segments, trailing) => {
        const raw = `/${segments.join('/')}${trailing ? '/' : ''}`;
        const once = normalisePath(raw);
        expect(normalisePath(once)).toBe(once);
        expect(once.startsWith('/')).toBe(true);
        expect(once.split('/')).not.toContain('..');
        expect(once.split('/')).not.toContain('.');
        expect(once.includes('//')).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

/** The meaning of a pattern written as a regular expression (`**` → `.*`, `*` → `[^/]*`), trailing slash ignored. */
function referenceMatch(pattern: string, path: string): boolean {
  const trim = (s: string) => (s.length > 1 && s.endsWith('/') ? s.slice(0, -1) : s);
  const p = trim(pattern);
  const s = trim(path);
  if (p.endsWith('/**') && s === p.slice(0, -3)) return true;
  const source = p
    .split(/(\*\*|\*)/)
    .map((part) =>
      part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`).test(s);
}
