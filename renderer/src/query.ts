/** Query strings for the admin API. Pure. */

export type QueryValue = string | number | boolean | null | undefined;

/**
 * `?a=1&b=x%2Fy` from an object, leaving out empty strings, null and undefined (so a blank filter
 * field means "no filter"). Returns `''` when nothing is left.
 */
export function buildQuery(params: Readonly<Record<string, QueryValue>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const text = String(value).trim();
    if (text === '') continue;
    search.set(key, text);
  }
  const query = search.toString();
  return query === '' ? '' : `?${query}`;
}

/** An API path with one encoded path segment: `segment('/api/blocks', '198.51.100.0/24')`. */
export function withSegment(base: string, segment: string, suffix = ''): string {
  return `${base}/${encodeURIComponent(segment)}${suffix}`;
}
