/**
 * Path patterns for rules (rate limits, sensitive paths): an exact path (`/login`) or a glob where
 * `*` matches within one segment and `**` matches across segments (`/wp-admin/**`, `/*.php`).
 * Matching runs the pattern's automaton over the path once (see {@link globMatch}): at most
 * 2 × (pattern length + 1) × (path length + 1) steps and no regular expressions, so no pattern or
 * path can cause catastrophic backtracking.
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
 * Compiles a path pattern. A trailing slash is ignored on both sides (`/login/` ≡ `/login`), and so
 * is letter case: the pattern is matched in lower case against a path {@link normalisePath} made.
 * @throws PathPatternError when the pattern is not an absolute path or exceeds 512 characters.
 */
export function compilePathPattern(source: string): PathPattern {
  if (typeof source !== 'string' || !source.startsWith('/') || source.length > MAX_PATTERN_LENGTH) {
    throw new PathPatternError(
      `path pattern must start with "/" and be at most ${MAX_PATTERN_LENGTH} characters: ${JSON.stringify(source)}`,
    );
  }
  const pattern = trimSlash(source.toLowerCase());
  if (!pattern.includes('*')) {
    return { source, matches: (path) => trimSlash(path) === pattern };
  }
  // `/wp-admin/**` also covers `/wp-admin` itself.
  const bare = pattern.endsWith('/**') ? pattern.slice(0, -3) : null;
  const glob = compileGlob(pattern);
  // Cheap exact tests first: the literal text before the first and after the last wildcard.
  const head = pattern.slice(0, pattern.indexOf('*'));
  const tail = pattern.slice(pattern.lastIndexOf('*') + 1);
  const minLength = head.length + tail.length;
  return {
    source,
    matches: (path) => {
      const trimmed = trimSlash(path);
      if (trimmed === bare) return true;
      if (trimmed.length < minLength || !trimmed.startsWith(head) || !trimmed.endsWith(tail)) return false;
      return globMatch(glob, trimmed).matched;
    },
  };
}

/**
 * Normalises a request path for rule matching so that `//login`, `/./login`, `/a/../login`,
 * `/%6Cogin` and `/LOGIN` all match `/login`: percent-decoding of unreserved characters, dot-segment
 * removal (RFC 3986 §5.2.4), duplicate slashes collapsed, lower case. Letter case is ignored because
 * many servers ignore it (IIS, a case-insensitive file system, routers told to): there `/Login`
 * reaches the login page, and must not escape its rate limit or the failed-login count. On a site
 * that minds case, `/LOGIN` is a 404 whose counting costs nothing.
 */
export function normalisePath(raw: string): string {
  let path = raw;
  if (path.includes('%')) {
    path = path.replace(/%([0-9A-Fa-f]{2})/g, (whole, hex: string) => {
      const c = String.fromCharCode(Number.parseInt(hex, 16));
      return /[A-Za-z0-9\-._~]/.test(c) ? c : whole;
    });
  }
  path = path.toLowerCase(); // after decoding: `/%4Cogin` is `/Login`, then `/login`
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

/** A compiled glob: one code per pattern character, `STAR` for `*`, `ANY` for `**`. */
export type Glob = Int32Array;
const STAR = -1;
const ANY = -2;
const SLASH = 47;
const SET_A = new Uint8Array(MAX_PATTERN_LENGTH + 1);
const SET_B = new Uint8Array(MAX_PATTERN_LENGTH + 1);

/** Compiles the pattern text (leading `/` included) into glob tokens for {@link globMatch}. */
export function compileGlob(pattern: string): Glob {
  const tokens: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern.charCodeAt(i) !== 42 /* * */) tokens.push(pattern.charCodeAt(i));
    else if (pattern.charCodeAt(i + 1) === 42) {
      tokens.push(ANY);
      i++;
    } else tokens.push(STAR);
  }
  return Int32Array.from(tokens);
}

/**
 * Matches `path` against a compiled glob by simulating its automaton over the set of pattern
 * positions reached so far (Thompson 1968): one pass over the path; per character each of the
 * (tokens + 1) positions is visited at most once and marked at most once, so at most
 * 2 × (tokens + 1) × (path length + 1) steps, with no backtracking whatever the pattern or path. Returns whether it matched and the steps taken (the tests assert
 * the bound).
 */
export function globMatch(glob: Glob, path: string): { matched: boolean; steps: number } {
  const m = glob.length;
  // Matching is synchronous, so two shared position sets serve every call (no allocation per request).
  let current = SET_A;
  let next = SET_B;
  current.fill(0, 0, m + 1);
  let steps = closeOver(glob, current, 0);
  for (let s = 0; s < path.length; s++) {
    const c = path.charCodeAt(s);
    next.fill(0, 0, m + 1);
    let live = false;
    for (let i = 0; i <= m; i++) {
      if (current[i] === 0) continue;
      steps++;
      if (i === m) continue;
      const token = glob[i] as number;
      if (token === ANY || (token === STAR && c !== SLASH)) {
        if (next[i] === 0) steps += closeOver(glob, next, i);
        live = true;
      } else if (token === c) {
        if (next[i + 1] === 0) steps += closeOver(glob, next, i + 1);
        live = true;
      }
    }
    if (!live) return { matched: false, steps };
    const swap = current;
    current = next;
    next = swap;
  }
  return { matched: current[m] === 1, steps };
}

/** Marks position `from` and every position reachable from it by empty `*`/`**` matches; returns the marks made. */
function closeOver(glob: Glob, set: Uint8Array, from: number): number {
  let i = from;
  let marks = 0;
  while (i <= glob.length && set[i] === 0) {
    set[i] = 1;
    marks++;
    const token = glob[i];
    if (token !== STAR && token !== ANY) break;
    i++;
  }
  return marks;
}
