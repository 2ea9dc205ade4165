/** Hash routes of the operator UI (`#/dashboard`, `#/ip/<ip>` …). Pure. */

export type RouteName =
  | 'dashboard'
  | 'flags'
  | 'ip'
  | 'lists'
  | 'requests'
  | 'import'
  | 'settings'
  | 'not-found';

export interface Route {
  name: RouteName;
  /** The route's parameter: the address for `ip`. */
  param?: string;
  /** Query parameters after `?` (`#/requests?path=%2Flogin`). */
  query: Record<string, string>;
}

const SIMPLE: ReadonlySet<string> = new Set([
  'dashboard',
  'flags',
  'lists',
  'requests',
  'import',
  'settings',
]);

/**
 * `#/ip/203.0.113.7` → `{ name: 'ip', param: '203.0.113.7' }`; `''` and `#/` → the dashboard;
 * `#/requests?path=%2Flogin` → `{ name: 'requests', query: { path: '/login' } }`.
 */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split(/\?(.*)/s);
  const query = Object.fromEntries(new URLSearchParams(search));
  if (path === '') return { name: 'dashboard', query };
  const [head = '', ...rest] = path.split('/');
  if (head === 'ip' && rest.length > 0) {
    try {
      const param = decodeURIComponent(rest.join('/'));
      return param === '' ? { name: 'not-found', query } : { name: 'ip', param, query };
    } catch {
      // A malformed %-escape in a hand-typed URL.
      return { name: 'not-found', query };
    }
  }
  if (rest.length === 0 && SIMPLE.has(head)) return { name: head as RouteName, query };
  return { name: 'not-found', query };
}

/**
 * The hash of a route: `routeHash('ip', '2001:db8::1')` → `#/ip/2001%3Adb8%3A%3A1`;
 * `routeHash('requests', undefined, { path: '/login' })` → `#/requests?path=%2Flogin`.
 */
export function routeHash(
  name: Exclude<RouteName, 'not-found'>,
  param?: string,
  query: Readonly<Record<string, string>> = {},
): string {
  const base = param === undefined ? `#/${name}` : `#/${name}/${encodeURIComponent(param)}`;
  const search = new URLSearchParams(Object.entries(query).filter(([, value]) => value !== '')).toString();
  return search === '' ? base : `${base}?${search}`;
}
