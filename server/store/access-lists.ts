import { EventEmitter } from 'node:events';
import { AddressSet, type Cidr, parseCidr } from '../net/index.js';
import { AccessListError } from './access-list-error.js';
import { checkDuration, isTarget, parseTarget } from './access-list-target.js';
import type {
  AccessDecision,
  AccessListChange,
  AccessListEvents,
  AllowRequest,
  BlockRequest,
  BlockResult,
} from './access-list-types.js';
import { checkBlock } from './block-checks.js';
import { OperatorAddresses } from './operator-addresses.js';
import type { AllowEntry, BlockEntry, State } from './state-schema.js';
import type { StateStore } from './state-store.js';

export type {
  AccessDecision,
  AccessListChange,
  AccessListEvents,
  AllowRequest,
  BlockRequest,
  BlockResult,
} from './access-list-types.js';
export { AccessListError };

/**
 * The blocklist and allowlist: persisted in the state store, mirrored in memory as CIDR sets so
 * that {@link AccessLists.decide} costs a few hash probes per request whatever the list size.
 * The allowlist always wins over blocks. Expired blocks stay in the state (shown as expired) but
 * no longer match.
 */
export class AccessLists extends EventEmitter<AccessListEvents> {
  readonly #store: StateStore;
  readonly #now: () => number;
  /** Permanent blocks are stored as they are; only expiring ones carry a parsed `expiresAtMs`. */
  readonly #blocks = new AddressSet<BlockEntry | (BlockEntry & { expiresAtMs: number })>();
  readonly #allow = new AddressSet<AllowEntry>();

  /** The addresses the operator uses; a block covering one needs `force`. */
  readonly operator: OperatorAddresses;

  constructor(store: StateStore, now: () => number = Date.now, operator = new OperatorAddresses()) {
    super();
    this.#store = store;
    this.#now = now;
    this.operator = operator;
    this.reload();
  }

  /** Rebuilds the in-memory sets from the state (after a restart or a change made elsewhere). */
  reload(state: Readonly<State> = this.#store.data): void {
    this.#blocks.clear();
    this.#allow.clear();
    this.problems = [];
    // A hand-edited entry that is not an address is skipped and reported, never fatal: the rest still apply.
    for (const entry of state.blocks) {
      try {
        this.#indexBlock(entry);
      } catch (err) {
        this.problems.push(
          `blocklist entry ${JSON.stringify(entry.target)} ignored: ${(err as Error).message}`,
        );
      }
    }
    for (const entry of state.allowlist) {
      try {
        this.#allow.set(parseCidr(entry.target), entry);
      } catch (err) {
        this.problems.push(
          `allowlist entry ${JSON.stringify(entry.target)} ignored: ${(err as Error).message}`,
        );
      }
    }
  }

  /** Entries of the state that could not be applied at the last reload (shown in /api/health). */
  problems: string[] = [];

  /** The decision for a canonical client IP: allowlisted, blocked (by the longest matching live block) or none. */
  decide(ip: string): AccessDecision {
    const allowed = this.#allow.match(ip);
    if (allowed !== undefined) return { kind: 'allowlisted', entry: allowed };
    const now = this.#now();
    const blocked = this.#blocks.match(ip, (entry) => !('expiresAtMs' in entry) || entry.expiresAtMs > now);
    if (blocked !== undefined) return { kind: 'blocked', entry: blocked };
    return { kind: 'none' };
  }

  /** True when `ip` is on the allowlist. */
  isAllowlisted(ip: string): boolean {
    return this.#allow.match(ip) !== undefined;
  }

  /** Every block with whether it is still in force, newest first. */
  listBlocks(): (BlockEntry & { expired: boolean })[] {
    const now = this.#now();
    return [...this.#store.data.blocks].reverse().map((entry) => ({
      ...entry,
      expired: entry.expiresAt !== null && Date.parse(entry.expiresAt) <= now,
    }));
  }

  /** Every allowlist entry, newest first. */
  listAllowlist(): AllowEntry[] {
    return [...this.#store.data.allowlist].reverse();
  }

  /**
   * Blocks an IP or CIDR (replacing an existing block of the same target) and records it in the audit
   * trail. The result's warnings come from {@link checkBlock}.
   * @throws AccessListError (400) naming the target when it is not an IP or CIDR;
   *   AccessListError (409) when it covers an operator's address and `force` is not set.
   */
  async block(request: BlockRequest): Promise<BlockResult> {
    const cidr = parseTarget(request.target);
    const now = this.#now();
    checkDuration(now, request.durationMs);
    // Frozen, so the state keeps this very object (state-draft.ts) and the index shares it.
    const entry: BlockEntry = Object.freeze({
      target: cidr.text,
      reason: (request.reason ?? '').slice(0, 500),
      createdAt: new Date(now).toISOString(),
      createdBy: request.actor,
      expiresAt: request.durationMs === undefined ? null : new Date(now + request.durationMs).toISOString(),
    });
    const warnings = checkBlock(cidr, this.#store.data.allowlist, this.operator, request.force === true);
    await this.#add('blocklist', cidr, entry, now);
    return { entry, warnings };
  }

  /**
   * Removes the block on exactly `target` (an IP or CIDR).
   * @throws AccessListError 400 for a malformed target, 404 when no such block exists.
   */
  unblock(target: string, actor: string): Promise<BlockEntry> {
    return this.#remove('blocklist', target, actor) as Promise<BlockEntry>;
  }

  /**
   * Adds an IP or CIDR to the allowlist (never blocked, rate-limited or flagged).
   * @throws AccessListError (400) naming the target when it is not an IP or CIDR.
   */
  async allow(request: AllowRequest): Promise<AllowEntry> {
    const cidr = parseTarget(request.target);
    const at = this.#now();
    const entry: AllowEntry = Object.freeze({
      target: cidr.text,
      reason: (request.reason ?? '').slice(0, 500),
      createdAt: new Date(at).toISOString(),
      createdBy: request.actor,
    });
    await this.#add('allowlist', cidr, entry, at);
    return entry;
  }

  /**
   * Removes `target` from the allowlist.
   * @throws AccessListError 400 for a malformed target, 404 when it is not on the allowlist.
   */
  disallow(target: string, actor: string): Promise<AllowEntry> {
    return this.#remove('allowlist', target, actor) as Promise<AllowEntry>;
  }

  /** Puts `entry` on `list` in place of any entry for its target, audits it, indexes it and emits `change`. */
  async #add(
    list: AccessListChange['list'],
    cidr: Cidr,
    entry: BlockEntry | AllowEntry,
    at: number,
  ): Promise<void> {
    const kept = (e: BlockEntry | AllowEntry) => e.target !== entry.target;
    await this.#store.update((state) => {
      if (list === 'blocklist') state.blocks = [...state.blocks.filter(kept), entry as BlockEntry];
      else state.allowlist = [...state.allowlist.filter(kept), entry];
      state.audit.push({
        at: entry.createdAt,
        actor: entry.createdBy,
        action: AUDIT_ACTIONS[list].add,
        target: entry.target,
        reason: entry.reason,
      });
    });
    if (list === 'blocklist') this.#indexBlock(entry as BlockEntry);
    else this.#allow.set(cidr, entry);
    this.emit('change', { list, action: 'add', target: entry.target, entry, at, actor: entry.createdBy });
  }

  async #remove(
    list: AccessListChange['list'],
    target: string,
    actor: string,
  ): Promise<BlockEntry | AllowEntry> {
    const cidr = parseTarget(target);
    const existing = this.entry(list, cidr.text);
    if (!existing) throw new AccessListError(`${cidr.text} is not on the ${list}`, 404);
    const at = this.#now();
    const kept = (e: BlockEntry | AllowEntry) => e.target !== cidr.text;
    await this.#store.update((state) => {
      if (list === 'blocklist') state.blocks = state.blocks.filter(kept);
      else state.allowlist = state.allowlist.filter(kept);
      state.audit.push({
        at: new Date(at).toISOString(),
        actor,
        action: AUDIT_ACTIONS[list].remove,
        target: cidr.text,
      });
    });
    (list === 'blocklist' ? this.#blocks : this.#allow).delete(cidr);
    this.emit('change', { list, action: 'remove', target: cidr.text, at, actor });
    return existing;
  }

  /** The entries of one list as stored, oldest first (expired blocks included). */
  entries(list: AccessListChange['list']): readonly (BlockEntry | AllowEntry)[] {
    return list === 'blocklist' ? this.#store.data.blocks : this.#store.data.allowlist;
  }

  /** The current entry for exactly `target` on `list` (canonical text), if any. */
  entry(list: AccessListChange['list'], target: string): BlockEntry | AllowEntry | undefined {
    return this.entries(list).find((e) => e.target === target);
  }

  /**
   * Applies changes made on other instances (cluster sync) to the state and the in-memory sets in
   * one write, with an audit line each (`details.instance` names the origin). Emits `change` with
   * `from` set, so they are not published again. Changes that alter nothing are skipped.
   * Returns the changes applied.
   */
  async applyRemote(changes: readonly (AccessListChange & { from: string })[]): Promise<AccessListChange[]> {
    const current = {
      blocklist: new Map(this.entries('blocklist').map((e) => [e.target, e] as const)),
      allowlist: new Map(this.entries('allowlist').map((e) => [e.target, e] as const)),
    };
    // The last change per target counts; those that alter nothing are dropped.
    const latest = new Map(changes.map((c) => [`${c.list} ${c.target}`, c] as const));
    const applied = [...latest.values()].filter((c) => {
      if (!isTarget(c.target)) return false;
      const existing = current[c.list].get(c.target);
      if (c.action === 'remove') return existing !== undefined;
      return c.entry !== undefined && JSON.stringify(existing) !== JSON.stringify(c.entry);
    });
    if (applied.length === 0) return [];
    const touched = (list: AccessListChange['list']) =>
      new Set(applied.filter((c) => c.list === list).map((c) => c.target));
    const added = (list: AccessListChange['list']) =>
      applied.flatMap((c) =>
        c.list === list && c.action === 'add' && c.entry ? [Object.freeze(c.entry)] : [],
      );
    await this.#store.update((state) => {
      const blocks = touched('blocklist');
      const allows = touched('allowlist');
      state.blocks = [
        ...state.blocks.filter((e) => !blocks.has(e.target)),
        ...(added('blocklist') as BlockEntry[]),
      ];
      state.allowlist = [...state.allowlist.filter((e) => !allows.has(e.target)), ...added('allowlist')];
      for (const c of applied) {
        state.audit.push({
          at: new Date(c.at).toISOString(),
          actor: c.actor,
          action: AUDIT_ACTIONS[c.list][c.action],
          target: c.target,
          ...(c.entry ? { reason: c.entry.reason } : {}),
          details: { instance: c.from },
        });
      }
    });
    for (const c of applied) {
      const cidr = parseCidr(c.target);
      if (c.list === 'blocklist') {
        if (c.action === 'add') this.#indexBlock(c.entry as BlockEntry);
        else this.#blocks.delete(cidr);
      } else if (c.action === 'add') this.#allow.set(cidr, c.entry as AllowEntry);
      else this.#allow.delete(cidr);
      this.emit('change', c);
    }
    return applied;
  }

  #indexBlock(entry: BlockEntry): void {
    // No copy for permanent blocks: at a million entries the copies cost memory and cache misses.
    if (entry.expiresAt === null) this.#blocks.set(parseCidr(entry.target), entry);
    else this.#blocks.set(parseCidr(entry.target), { ...entry, expiresAtMs: Date.parse(entry.expiresAt) });
  }
}

const AUDIT_ACTIONS = {
  blocklist: { add: 'block', remove: 'unblock' },
  allowlist: { add: 'allow', remove: 'disallow' },
} as const;
