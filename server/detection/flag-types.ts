import type { Flag } from '../store/index.js';
import type { FlagReason } from './rules.js';

/** Evidence for raising or refreshing a flag. */
export interface FlagEvidence {
  ip: string;
  reason: FlagReason;
  /** Requests counted toward the reason in the window. */
  count: number;
  /** What the operator needs to judge it: window, threshold, sample paths, score, source. */
  details: Record<string, unknown>;
  /** When the evidence was seen (ms since epoch). */
  seenAt: number;
}

/** Who changed a flag and how; `from` names the instance when the change came through the cluster. */
export interface FlagChangeMeta {
  actor: string;
  /** The audit action: `flag`, `refresh`, `dismiss` or `unflag`. */
  action: string;
  from?: string;
}

export interface FlagEvents {
  /** A new active flag (not a refresh of an active one). */
  flag: [Flag, FlagChangeMeta];
  /** An active flag's last sighting, count or evidence changed. */
  refresh: [Flag, FlagChangeMeta];
  /** A flag deactivated by cleanup or dismissed by an operator. */
  unflag: [Flag, FlagChangeMeta];
}

/**
 * Cluster-wide creation rights for flags (README "Running several instances"): `claim` resolves
 * true when this instance may create the flag for (ip, reason), `release` gives the right up when
 * the flag ends. Without a shared Redis every claim wins.
 */
export interface FlagClaims {
  claim(ip: string, reason: string): Promise<boolean>;
  release(ip: string, reason: string): Promise<void>;
}

/**
 * The outcome of `FlagStore.raise`. `elsewhere`: another instance of the cluster claimed the
 * new flag first; it arrives here through the cluster. `dismissed`: the evidence is traffic an
 * operator dismissed (see dismissals.ts). `full`: the store holds its capacity of active flags, so
 * the new flag was not recorded (see `FlagStore.problem`).
 */
export type RaiseOutcome =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'allowlisted'
  | 'elsewhere'
  | 'dismissed'
  | 'full';

/** Settings of `FlagStore`. */
export interface FlagStoreOptions {
  /** An active flag is refreshed at most this often (ms) unless its count grows by half; default 60 s. */
  refreshMs?: number;
  /** Refreshes wait this long (ms) to be written together; default 10 s. */
  refreshWriteMs?: number;
  claims?: FlagClaims;
  /** Told when a timed write of refreshes fails (they are kept and tried again); default a process warning. */
  onError?: (err: Error) => void;
  /** How long after a dismissal its (ip, reason) is not flagged again (ms; the detection window, 1 h by default). */
  quietAfterDismissMs?: number;
  /** Active flags held at most; default `ACTIVE_FLAG_CAPACITY` (20,000). */
  capacity?: number;
  /** Told of the first new flag refused for want of room, once an hour at most. */
  onFull?: (capacity: number) => void;
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number;
}
