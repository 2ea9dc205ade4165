import { AUDIT_ACTIONS } from './access-list-remote.js';
import type { AccessListChange } from './access-lists.js';
import {
  type AllowEntry,
  type AuditEntry,
  allowEntrySchema,
  auditEntrySchema,
  type BlockEntry,
  blockEntrySchema,
} from './state-schema.js';

export type List = AccessListChange['list'];

/**
 * The cluster's word on one target: its entry, or `null` once removed (a tombstone, so that an
 * instance coming back cannot resurrect it). `at` orders writes: the latest change wins.
 */
export interface ListRecord {
  at: number;
  actor: string;
  /** The instance that wrote it. */
  by: string;
  entry: BlockEntry | AllowEntry | null;
}

/** The latest removal from `list` of each target in the audit trail: its time (epoch ms) and actor. */
export function lastRemovals(
  audit: readonly AuditEntry[],
  list: List,
): Map<string, { at: number; actor: string }> {
  const action = AUDIT_ACTIONS[list].remove;
  const out = new Map<string, { at: number; actor: string }>();
  for (const entry of audit) {
    if (entry.action !== action) continue;
    const at = Date.parse(entry.at);
    if (at > (out.get(entry.target)?.at ?? Number.NEGATIVE_INFINITY))
      out.set(entry.target, { at, actor: entry.actor });
  }
  return out;
}

export function toChange(
  list: List,
  target: string,
  record: ListRecord,
): AccessListChange & { from: string } {
  return {
    list,
    target,
    action: record.entry ? 'add' : 'remove',
    ...(record.entry ? { entry: record.entry } : {}),
    at: record.at,
    actor: record.actor,
    from: record.by,
  };
}

/**
 * A record read from Redis or a message, or null when it is malformed: its entry and actor must be
 * what the state file accepts, or applying it would be refused there (and, in a reconcile, with
 * every other change read with it).
 */
export function parseRecord(list: List, raw: string): ListRecord | null {
  let value: Partial<ListRecord>;
  try {
    value = JSON.parse(raw) as Partial<ListRecord>;
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (typeof value.at !== 'number' || !Number.isFinite(value.at) || typeof value.by !== 'string') return null;
  const actor = auditEntrySchema.shape.actor.safeParse(value.actor);
  if (!actor.success) return null;
  if (value.entry === null) return { at: value.at, actor: actor.data, by: value.by, entry: null };
  // Only the entry's known fields are kept: the schema's own copy, which nothing else holds.
  const entry = (list === 'blocklist' ? blockEntrySchema : allowEntrySchema).safeParse(value.entry);
  return entry.success ? { at: value.at, actor: actor.data, by: value.by, entry: entry.data } : null;
}
