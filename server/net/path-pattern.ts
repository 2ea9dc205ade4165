/**
 * Path patterns for rules (rate limits, sensitive paths): an exact path (`/login`) or a glob where
 * `*` matches within one segment and `**` matches across segments (`/wp-admin/**`, `/*.php`).
 * Matching is linear-time wildcard matching with no regular expressions, so an operator's (or an
 * attacker-influenced) pattern can never cause catastrophic backtracking.
 */
export interface PathPattern {
  readonly source: string;
  matches(path: string): boolean;
}

/** Thrown for a pattern that does not start with `/` or is too long; the message names it. */
export class PathPatternError extends Error {
  override readonly name = 'PathPatternError';
}

const MAX_PATTERN_LENGTH = 512;

/**
 * Compiles a path pattern. A trailing slash is ignored on both sides (`/login/` ≡ `/login`).
 * @throws PathPatternError when the pattern is not an absolute path or exceeds 512 characters.
 */
export function compilePathPattern(source: string): PathPattern {
  if (typeof source !== 'string' || !source.startsWith('/') || source.length > MAX_PATTERN_LENGTH) {
    throw new PathPatternError(
      `path pattern must start with "/" and be at most ${MAX_PATTERN_LENGTH} characters: ${JSON.stringify(source)}`,
    );
  }
  const pattern = trimSlash(source);
  if (!pattern.includes('*')) {
    return { source, matches: (path) => trimSlash(path) === pattern };
  }
  // `/wp-admin/**` also covers `/wp-admin` itself.
  const bare = pattern.endsWith('/**') ? pattern.slice(0, -3) : null;
  return {
    source,
    matches: (path) => {
      const trimmed = trimSlash(path);
      return trimmed === bare || globMatch(pattern, trimmed);
    },
  };
}

/**
 * Normalises a request path for rule matching so that `//login`, `/./login`, `/a/../login` and
 * `/%6Cogin` all match `/login`: percent-decoding of unreserved characters, dot-segment removal
 * (RFC 3986 §5.2.4), duplicate slashes collapsed.
 */
export function normalisePath(raw: string): string {
  let path = raw;
  if (path.includes('%')) {
    path = path.replace(/%([0-9A-Fa-f]{2})/g, (whole, hex: string) => {
      const c = String.fromCharCode(Number.parseInt(hex, 16));
      return /[A-Za-z0-9\-._~]/.test(c) ? c : whole.toUpperCase();
    });
  }
  if (!path.includes('//') && !path.includes('/.')) return path;
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const trailing = path.endsWith('/') && out.length > 0 ? '/' : '';
  return `/${out.join('/')}${trailing}`;
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Iterative wildcard match with two backtracking points: the latest `*` (which may not cross `/`)
 * and the latest `**` (which may). When the `*` cannot grow past a `/`, the `**` grows instead, so
 * `/**` + `/*.php` finds `/a/b/x.php`. O(pattern × path) worst case, no recursion.
 */
function globMatch(pattern: string, path: string): boolean {
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = -1;
  let anyP = -1;
  let anyS = -1;
  while (s < path.length) {
    if (pattern.charCodeAt(p) === 42 /* * */) {
      if (pattern.charCodeAt(p + 1) === 42) {
        p += 2;
        anyP = p;
        anyS = s;
        starP = -1; // a later `**` absorbs anything an earlier `*` could
      } else {
        p += 1;
        starP = p;
        starS = s;
      }
      continue;
    }
    if (p < pattern.length && pattern.charCodeAt(p) === path.charCodeAt(s)) {
      p++;
      s++;
      continue;
    }
    if (starP !== -1 && path.charCodeAt(starS) !== 47 /* / */) {
      starS++;
      s = starS;
      p = starP;
      continue;
    }
    if (anyP !== -1) {
      starP = -1;
      anyS++;
      s = anyS;
      p = anyP;
      continue;
    }
    return false;
  }
  while (pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}
