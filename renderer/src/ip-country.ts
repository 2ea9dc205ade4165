/**
 * The country of an address, for lists whose records carry none (flags): taken from the address's
 * newest request-log record, cached for the session, at most a few lookups at a time.
 */
import { get } from './api.js';
import { buildQuery } from './query.js';
import type { RequestPage } from './types.js';

const cache = new Map<string, Promise<string | undefined>>();
const MAX_PARALLEL = 4;
let running = 0;
const queue: (() => void)[] = [];

function slot(): Promise<void> {
  if (running < MAX_PARALLEL) {
    running++;
    return Promise.resolve();
  }
  return new Promise((resolve) => queue.push(resolve));
}

function release(): void {
  const next = queue.shift();
  if (next === undefined) running--;
  else next();
}

/** The ISO alpha-2 country of `ip`'s newest request, or undefined when unknown. */
export function countryOf(ip: string): Promise<string | undefined> {
  let pending = cache.get(ip);
  if (pending === undefined) {
    pending = slot()
      .then(() => get<RequestPage>(`/api/requests${buildQuery({ ip, limit: 1 })}`))
      .then((page) => page.records[0]?.source.geo?.country_iso_code)
      .catch((error: unknown) => {
        cache.delete(ip);
        console.warn(`ipwarden: no country for ${ip}`, error);
        return undefined;
      })
      .finally(release);
    cache.set(ip, pending);
  }
  return pending;
}
