import type { AllowEntry, BlockEntry } from './state-schema.js';

export interface BlockRequest {
  target: string;
  reason?: string;
  /** Milliseconds from now until the block lapses; omit for a permanent block. */
  durationMs?: number;
  actor: string;
  /** Block even when the range covers an address the operator uses (otherwise a 409). */
  force?: boolean;
}

export interface AllowRequest {
  target: string;
  reason?: string;
  actor: string;
}

export interface BlockResult {
  entry: BlockEntry;
  /** Allowlisted addresses or ranges inside the blocked range (they stay reachable: the allowlist wins). */
  warnings: string[];
}

/** What the guard decided for one client address. */
export type AccessDecision =
  | { kind: 'allowlisted'; entry: AllowEntry }
  | { kind: 'blocked'; entry: BlockEntry }
  | { kind: 'none' };

/** One change to the blocklist or allowlist, made here or (with `from`) on another instance. */
export interface AccessListChange {
  list: 'blocklist' | 'allowlist';
  action: 'add' | 'remove';
  target: string;
  /** The entry added (for `add`). */
  entry?: BlockEntry | AllowEntry;
  /** When the change was made (ms since epoch): an entry's `createdAt`, or the time of a removal. */
  at: number;
  actor: string;
  /** The instance that made it, when it came from another instance through the cluster. */
  from?: string;
}

export interface AccessListEvents {
  change: [AccessListChange];
}
