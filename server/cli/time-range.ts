import { parseIsoTime } from '../config.js';
import { CliError } from './admin-client.js';

/**
 * `--since T [--until T]` as used by `monitor` and `backtest`: ISO 8601 times, `until` defaulting
 * to now. Returns null when neither is given.
 * @throws CliError naming the flag when a time does not parse, `--until` comes alone, or the range is empty.
 */
export function parseRange(
  since: string | undefined,
  until: string | undefined,
  now = Date.now(),
): { since: Date; until: Date } | null {
  if (since === undefined) {
    if (until !== undefined) throw new CliError('--until needs --since');
    return null;
  }
  const s = parseIsoTime(since);
  const u = until === undefined ? now : parseIsoTime(until);
  if (!Number.isFinite(s))
    throw new CliError(`--since expects an ISO 8601 time, got ${JSON.stringify(since)}`);
  if (!Number.isFinite(u))
    throw new CliError(`--until expects an ISO 8601 time, got ${JSON.stringify(until)}`);
  if (u <= s) throw new CliError('--until must be after --since');
  return { since: new Date(s), until: new Date(u) };
}
