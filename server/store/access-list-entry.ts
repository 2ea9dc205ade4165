import type { Cidr } from '../net/index.js';
import type { AllowRequest, BlockRequest } from './access-list-types.js';
import type { AllowEntry, BlockEntry } from './state-schema.js';

/** Longest reason kept (characters), as the admin API accepts. */
const MAX_REASON = 500;

/**
 * The entry a block request makes at `nowMs`, frozen (the state keeps this very object and the index
 * shares it; state-draft.ts). A blank reason keeps the reason of the entry it replaces, so
 * `ipwarden block 203.0.113.7 --for 7d` extends a block without losing why it was made.
 */
export function newBlockEntry(
  cidr: Cidr,
  request: BlockRequest,
  nowMs: number,
  replaced: BlockEntry | AllowEntry | undefined,
): BlockEntry {
  return Object.freeze({
    ...newAllowEntry(cidr, request, nowMs, replaced),
    expiresAt: request.durationMs === undefined ? null : new Date(nowMs + request.durationMs).toISOString(),
  });
}

/** The entry an allow request makes at `nowMs`, frozen; a blank reason keeps the replaced entry's. */
export function newAllowEntry(
  cidr: Cidr,
  request: AllowRequest,
  nowMs: number,
  replaced: BlockEntry | AllowEntry | undefined,
): AllowEntry {
  const given = request.reason;
  return Object.freeze({
    target: cidr.text,
    reason:
      given !== undefined && given.trim() !== '' ? given.slice(0, MAX_REASON) : (replaced?.reason ?? ''),
    createdAt: new Date(nowMs).toISOString(),
    createdBy: request.actor,
  });
}
