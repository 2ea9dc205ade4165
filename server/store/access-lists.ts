import { EventEmitter } from 'node:events';
import type { Cidr } from '../net/index.js';
import { AccessIndex } from './access-index.js';
import { newAllowEntry, newBlockEntry } from './access-list-entry.js';
import { AccessListError, notOnList } from './access-list-error.js';
import {
  ActiveBlockCount,
  type ListPage,
  type ListPageQuery,
  listPage,
  newestBlocks,
  withExpired,
} from './access-list-page.js';
import { addEntry, planRemote, removeEntry } from './access-list-remote.js';
import { checkDuration, parseTarget } from './access-list-target.js';
import type {
  AccessDecision,
  AccessListChange,
  AccessListEvents,
  AllowRequest,
  BlockRequest,
  BlockResult,
} from './access-list-types.js';
import { checkBlock } from './block-checks.js';
import { ChangeTimes } from './change-times.js';
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
  readonly #index: AccessIndex;
  /**
   * List changes written but not yet settled. With none but its own, an addition can trust the
   * index to say whether the list holds its target: it is updated as each write settles.
   */
  #writing = 0;
  readonly #active = new ActiveBlockCount();
  /** The newest change to each target known here: an older one from the cluster is stale. */
  readonly #changed: ChangeTimes;
  /** The addresses the operator uses; a block covering one needs `force`. */
  readonly operator: OperatorAddresses;

  constructor(store: StateStore, now: () => number = Date.now, operator = new OperatorAddresses()) {
    super();
    this.#store = store;
    this.#now = now;
    this.#index = new AccessIndex(now);
    this.#changed = new ChangeTimes(now);
    this.operator = operator;
    this.reload();
  }

  /**
   * Rebuilds the in-memory sets from the state (after a restart or a change made elsewhere). Code
   * that changes the lists in the state other than through this class must call it before the
   * next change here: until then decisions miss that change, and an addition trusts the sets to
   * say whether the list already holds its target.
   */
  reload(state: Readonly<State> = this.#store.data): void {
    this.#index.rebuild(state);
  }

  /** Entries of the state that could not be applied at the last reload (shown in /api/health). */
  get problems(): string[] {
    return this.#index.problems;
  }

  /** The decision for a canonical client IP: allowlisted, blocked (by the longest matching live block) or none. */
  decide(ip: string): AccessDecision {
    const allowed = this.#index.allowed(ip);
    if (allowed !== undefined) return { kind: 'allowlisted', entry: allowed };
    const blocked = this.#index.liveBlock(ip);
    if (blocked !== undefined) return { kind: 'blocked', entry: blocked };
    return { kind: 'none' };
  }

  /** True when `ip` is on the allowlist. */
  isAllowlisted(ip: string): boolean {
    return this.#index.allowed(ip) !== undefined;
  }

  /** Every block with whether it is still in force, newest first. */
  listBlocks(): (BlockEntry & { expired: boolean })[] {
    return this.blockPage({}).entries;
  }

  /**
   * Every block with whether it is still in force, newest first, made one at a time as they are
   * read: an export of 1M blocks streams them without a copy of the list (the list as it is now;
   * later changes do not show).
   */
  eachBlock(): Generator<BlockEntry & { expired: boolean }> {
    return newestBlocks(this.#store.data.blocks, this.#now());
  }

  /** Every allowlist entry, newest first. */
  listAllowlist(): AllowEntry[] {
    return this.allowPage({}).entries;
  }

  /** A page of the blocklist, newest first, each entry with whether it is still in force (see {@link listPage}). */
  blockPage(query: ListPageQuery): ListPage<BlockEntry & { expired: boolean }> {
    const now = this.#now();
    return listPage(this.#store.data.blocks, query, (entry) => withExpired(entry, now));
  }

  /** A page of the allowlist, newest first (see {@link listPage}). */
  allowPage(query: ListPageQuery): ListPage<AllowEntry> {
    return listPage(this.#store.data.allowlist, query, (entry) => ({ ...entry }));
  }

  /** How many blocks are still in force (see {@link ActiveBlockCount}). */
  activeBlockCount(): number {
    return this.#active.count(this.#store.data.blocks, this.#now());
  }

  /**
   * The block in force that decides for `ip` (the longest-prefix one covering it), whatever the
   * allowlist says, or undefined: what the flags view unblocks. A few hash probes (AddressSet).
   */
  blockCovering(ip: string): BlockEntry | undefined {
    const found = this.#index.liveBlock(ip);
    if (found === undefined || !('expiresAtMs' in found)) return found;
    const { expiresAtMs: _, ...entry } = found;
    return entry;
  }

  /**
   * Blocks an IP or CIDR (replacing a block of the same target; a blank reason keeps its reason) and
   * records it in the audit trail. The result's warnings come from {@link checkBlock}.
   * @throws AccessListError (400) naming the target when it is not an IP or CIDR;
   *   AccessListError (409) when it covers an operator's address and `force` is not set.
   */
  async block(request: BlockRequest): Promise<BlockResult> {
    const cidr = parseTarget(request.target);
    const now = this.#now();
    checkDuration(now, request.durationMs);
    const entry = newBlockEntry(cidr, request, now, this.#replaced('blocklist', cidr));
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
   * Adds an IP or CIDR to the allowlist (never blocked, rate-limited or flagged), replacing an entry of
   * the same target (a blank reason keeps its reason).
   * @throws AccessListError (400) naming the target when it is not an IP or CIDR.
   */
  async allow(request: AllowRequest): Promise<AllowEntry> {
    const cidr = parseTarget(request.target);
    const at = this.#now();
    const entry = newAllowEntry(cidr, request, at, this.#replaced('allowlist', cidr));
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

  /** The entry on `list` for exactly `cidr`: looked for when the index holds it or a write is under way. */
  #replaced(list: AccessListChange['list'], cidr: Cidr): BlockEntry | AllowEntry | undefined {
    const mayHold = this.#writing > 0 || this.#index.has(list, cidr);
    return mayHold ? this.entry(list, cidr.text) : undefined;
  }

  /** Puts `entry` on `list` in place of any entry for its target, audits it, indexes it and emits `change`. */
  async #add(
    list: AccessListChange['list'],
    cidr: Cidr,
    entry: BlockEntry | AllowEntry,
    at: number,
  ): Promise<void> {
    await this.#write(
      // Every stored entry with this (canonical) target is in the index under this CIDR, so a new
      // target, the common case, is appended without a pass over the list: 35 ms at 1M blocks.
      (state) => addEntry(state, list, entry, this.#writing === 1 && !this.#index.has(list, cidr)),
      () => this.#index.add(list, cidr, entry),
      { list, target: entry.target, at },
    );
    this.emit('change', { list, action: 'add', target: entry.target, entry, at, actor: entry.createdBy });
  }

  async #remove(
    list: AccessListChange['list'],
    target: string,
    actor: string,
  ): Promise<BlockEntry | AllowEntry> {
    const cidr = parseTarget(target);
    const existing = this.entry(list, cidr.text);
    if (!existing) {
      const single = list === 'blocklist' && !cidr.text.includes('/');
      throw notOnList(list, cidr.text, single ? this.blockCovering(cidr.text) : undefined);
    }
    const at = this.#now();
    await this.#write(
      (state) => removeEntry(state, list, cidr.text, at, actor),
      () => this.#index.delete(list, cidr),
      { list, target: cidr.text, at },
    );
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
   * one write, with an audit line each (`details.instance` names the origin), and returns them.
   * Emits `change` with `from` set, so they are not published again. Changes that alter nothing,
   * and those older than a change made or applied here since ({@link ChangeTimes}), are skipped.
   */
  async applyRemote(changes: readonly (AccessListChange & { from: string })[]): Promise<AccessListChange[]> {
    const fresh = changes.filter((c) => !this.#changed.supersedes(c.list, c.target, c.at));
    const lists = { blocklist: this.entries('blocklist'), allowlist: this.entries('allowlist') };
    const plan = planRemote(fresh, lists);
    if (plan.applied.length === 0) return [];
    for (const c of plan.applied) this.#changed.note(c.list, c.target, c.at);
    await this.#write(plan.change, () => plan.index(this.#index));
    for (const c of plan.applied) this.emit('change', c);
    return plan.applied;
  }

  /**
   * Runs `change` as a state update, then `index` (the same change to the in-memory sets) once
   * written; counted in #writing. A local change's time is noted from the start (`local`), and
   * taken back if the write fails: a change that did not happen must not outrank the cluster's.
   */
  async #write(
    change: (state: State) => void,
    index: () => void,
    local?: { list: string; target: string; at: number },
  ): Promise<void> {
    const before = local ? this.#changed.note(local.list, local.target, local.at) : undefined;
    this.#writing++;
    try {
      await this.#store.update(change);
      index();
    } catch (err) {
      if (local) this.#changed.forget(local.list, local.target, local.at, before);
      throw err;
    } finally {
      this.#writing--;
    }
  }
}
