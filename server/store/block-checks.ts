import { type Cidr, cidrsOverlap, parseCidr } from '../net/index.js';
import { AccessListError } from './access-list-error.js';
import type { OperatorAddresses } from './operator-addresses.js';
import type { AllowEntry, BlockEntry } from './state-schema.js';

/**
 * Checks a block of `range` before it is applied (lockout prevention, issue 5):
 * - it covers an address the operator uses (loopback, the admin address, a recent admin session)
 *   → without `force`, throws an AccessListError with status 409 and nothing changes; with
 *   `force`, it goes ahead with a warning;
 * - it covers allowlisted addresses → a warning (they stay reachable: the allowlist wins);
 * - it covers 2^24 IPv4 / 2^96 IPv6 addresses or more → a warning.
 * Returns the warnings, for the API's `warnings` array.
 */
export function checkBlock(
  range: Cidr,
  allowlist: readonly AllowEntry[],
  operator: OperatorAddresses,
  force: boolean,
): string[] {
  const warnings: string[] = [];
  const own = operator.within(range);
  if (own.length > 0) {
    const listed = own.slice(0, 5).join(', ');
    if (!force) {
      throw new AccessListError(
        `blocking ${range.text} would block your own address (${listed}: loopback, the admin address or an admin session) and may lock you out of your own site. Repeat with force (API ?force=true, CLI --force) to block it anyway`,
        409,
      );
    }
    warnings.push(`${range.text} includes your own address (${listed}); blocked anyway (force)`);
  }
  for (const allow of allowlist) {
    if (cidrsOverlap(range, parseCidr(allow.target)))
      warnings.push(`${allow.target} is allowlisted and stays reachable (the allowlist wins over blocks)`);
  }
  const hostBits = (range.network.family === 4 ? 32 : 128) - range.prefix;
  if (hostBits >= (range.network.family === 4 ? 24 : 96)) {
    warnings.push(
      `${range.text} covers 2^${hostBits} addresses${range.network.family === 4 ? ` (${(2 ** hostBits).toLocaleString('en')})` : ''}: check that a block this wide is what you meant`,
    );
  }
  return warnings;
}

/**
 * What an allowlist entry for `target` (canonical IP or CIDR) overrides: the live blocks covering it
 * or inside it (at `nowMs`), which no longer apply there (the allowlist wins). For an address, the
 * index's answer (`lists.blockCovering`); for a range, one pass over the blocklist. Returns the warnings, for the
 * API's `warnings` array and the CLI.
 */
export function checkAllow(
  target: string,
  lists: {
    blockCovering(ip: string): BlockEntry | undefined;
    entries(list: 'blocklist'): readonly (BlockEntry | AllowEntry)[];
  },
  nowMs: number,
): string[] {
  const hit: string[] = [];
  if (!target.includes('/')) {
    const block = lists.blockCovering(target);
    if (block !== undefined) hit.push(block.target);
  } else {
    const range = parseCidr(target);
    for (const block of lists.entries('blocklist') as readonly BlockEntry[]) {
      if (block.expiresAt !== null && Date.parse(block.expiresAt) <= nowMs) continue;
      if (cidrsOverlap(range, parseCidr(block.target))) hit.push(block.target);
    }
  }
  if (hit.length === 0) return [];
  const named = hit.slice(0, 5).join(', ') + (hit.length > 5 ? ` and ${hit.length - 5} more` : '');
  return [
    `${named} ${hit.length === 1 ? 'is' : 'are'} blocked; ${target} is let through all the same (the allowlist wins over blocks)`,
  ];
}
