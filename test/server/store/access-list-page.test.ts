import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listPage } from '../../../server/store/access-list-page.js';
import { AccessLists } from '../../../server/store/access-lists.js';
import { openStateStore, type StateStore } from '../../../server/store/state-store.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const START = Date.parse('2024-03-01T00:00:00.000Z');
const MINUTE = 60_000;

/** The clock the lists read; each test starts it at START. */
const clock = { ms: START };
const temp: { cleanup?: () => Promise<void> } = {};
let store: StateStore;
let lists: AccessLists;

beforeEach(async () => {
  const dir = await makeTempDir();
  temp.cleanup = dir.cleanup;
  clock.ms = START;
  store = await openStateStore({ dataDir: dir.dir, now: () => new Date(clock.ms) });
  lists = new AccessLists(store, () => clock.ms);
});
afterEach(() => temp.cleanup?.());

/** Blocks `n` addresses 10.0.0.1 … 10.0.0.n, one a minute, reasons `scan 1` … `scan n`. */
async function blockMany(n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await lists.block({
      target: `10.0.0.${i}`,
      reason: `scan ${i}`,
      actor: i % 2 ? 'user:Ann' : 'rule:auto',
    });
    clock.ms += MINUTE;
  }
}

describe('AccessLists.blockPage and allowPage', () => {
  it('pages newest first with the counts, and copies only the entries returned', async () => {
    await blockMany(5);
    const page = lists.blockPage({ offset: 1, limit: 2 });
    expect(page.entries.map((e) => e.target)).toEqual(['10.0.0.4', '10.0.0.3']);
    expect(page).toMatchObject({ total: 5, matched: 5 });
    expect(page.entries[0]).toMatchObject({ reason: 'scan 4', expired: false });
    expect(lists.blockPage({ offset: 4, limit: 10 }).entries.map((e) => e.target)).toEqual(['10.0.0.1']);
    expect(lists.blockPage({ offset: 9 }).entries).toEqual([]);
    expect(lists.blockPage({}).entries).toHaveLength(5);
  });

  it('searches the target, the reason and the author in any case, before paging', async () => {
    await blockMany(12);
    const byAuthor = lists.blockPage({ search: ' ANN ', limit: 2 });
    expect(byAuthor.entries.map((e) => e.target)).toEqual(['10.0.0.11', '10.0.0.9']);
    expect(byAuthor).toMatchObject({ total: 12, matched: 6 });
    expect(lists.blockPage({ search: 'Scan 1', offset: 1 }).entries.map((e) => e.reason)).toEqual([
      'scan 11',
      'scan 10',
      'scan 1',
    ]);
    expect(lists.blockPage({ search: '10.0.0.7' }).entries.map((e) => e.target)).toEqual(['10.0.0.7']);
    expect(lists.blockPage({ search: 'nothing like it' })).toEqual({ entries: [], total: 12, matched: 0 });
  });

  it('finds a hand-edited target written in capitals', () => {
    const entry = { target: '2001:DB8::BAD', reason: '', createdAt: '', createdBy: '', expiresAt: null };
    for (const search of ['db8::bad', 'DB8::BAD'])
      expect(listPage([entry], { search }, (e) => e.target).entries).toEqual(['2001:DB8::BAD']);
  });

  it('marks lapsed blocks and counts only those in force', async () => {
    await lists.block({ target: '203.0.113.1', durationMs: MINUTE, actor: 'user:ann' });
    await lists.block({ target: '203.0.113.2', actor: 'user:ann' });
    expect(lists.activeBlockCount()).toBe(2);
    clock.ms += MINUTE - 1;
    expect(lists.activeBlockCount()).toBe(2);
    clock.ms += 1;
    expect(lists.activeBlockCount()).toBe(1);
    await lists.block({ target: '203.0.113.3', durationMs: MINUTE, actor: 'user:ann' });
    expect(lists.activeBlockCount()).toBe(2);
    expect(lists.blockPage({}).entries.map((e) => [e.target, e.expired])).toEqual([
      ['203.0.113.3', false],
      ['203.0.113.2', false],
      ['203.0.113.1', true],
    ]);
  });

  it('counts a lapsed block in force again when the clock steps back before its end', async () => {
    await lists.block({ target: '203.0.113.1', durationMs: MINUTE, actor: 'user:ann' });
    clock.ms += MINUTE;
    expect(lists.activeBlockCount()).toBe(0);
    clock.ms -= 2 * MINUTE; // NTP stepped the clock back
    expect(lists.activeBlockCount()).toBe(1);
    expect(lists.blockPage({}).entries.map((e) => e.expired)).toEqual([false]);
  });

  it('pages the allowlist the same way', async () => {
    for (const target of ['192.0.2.1', '192.0.2.2', '198.51.100.0/24'])
      await lists.allow({ target, reason: target.includes('/') ? 'office' : 'monitor', actor: 'user:ann' });
    const page = lists.allowPage({ search: 'monitor', limit: 1 });
    expect(page.entries.map((e) => e.target)).toEqual(['192.0.2.2']);
    expect(page).toMatchObject({ total: 3, matched: 2 });
  });
});

describe('AccessLists.blockCovering', () => {
  it('names the block that decides: the exact one, else the narrowest range, never a lapsed one', async () => {
    await lists.block({ target: '203.0.0.0/16', actor: 'user:ann' });
    await lists.block({ target: '203.0.113.0/24', durationMs: 10 * MINUTE, actor: 'user:ann' });
    await lists.block({ target: '203.0.113.66', durationMs: MINUTE, actor: 'user:ann' });
    expect(lists.blockCovering('203.0.113.66')).toEqual(store.data.blocks[2]);
    clock.ms += MINUTE;
    // The index's own `expiresAtMs` stays out: what is returned is the stored entry's fields.
    expect(lists.blockCovering('203.0.113.66')).toEqual(store.data.blocks[1]);
    clock.ms += 9 * MINUTE;
    expect(lists.blockCovering('203.0.113.66')?.target).toBe('203.0.0.0/16');
    expect(lists.blockCovering('198.51.100.1')).toBeUndefined();
  });

  it('is named when an address it covers is unblocked, which cannot lift it', async () => {
    await lists.block({ target: '203.0.113.0/24', actor: 'user:ann' });
    await expect(lists.unblock('203.0.113.5', 'user:ann')).rejects.toThrow(
      '203.0.113.5 is not on the blocklist; it is blocked by 203.0.113.0/24: unblock that instead',
    );
    await expect(lists.unblock('198.51.100.1', 'user:ann')).rejects.toThrow(
      /^198\.51\.100\.1 is not on the blocklist$/,
    );
    expect(lists.decide('203.0.113.5').kind).toBe('blocked');
  });

  it('names a block even where the allowlist wins, so the operator can lift it', async () => {
    await lists.block({ target: '203.0.113.0/24', actor: 'user:ann' });
    await lists.allow({ target: '203.0.113.7', actor: 'user:ann' });
    expect(lists.decide('203.0.113.7').kind).toBe('allowlisted');
    expect(lists.blockCovering('203.0.113.7')?.target).toBe('203.0.113.0/24');
  });
});

describe('AccessLists additions keep one entry per target', () => {
  it('when the same target is blocked several times at once (one group commit)', async () => {
    await Promise.all([
      lists.block({ target: '203.0.113.7', reason: 'a', actor: 'user:ann' }),
      lists.block({ target: '203.0.113.7', reason: 'b', actor: 'user:ann' }),
      lists.allow({ target: '192.0.2.1', reason: 'a', actor: 'user:ann' }),
      lists.allow({ target: '192.0.2.1', reason: 'b', actor: 'user:ann' }),
    ]);
    expect(store.data.blocks.map((e) => [e.target, e.reason])).toEqual([['203.0.113.7', 'b']]);
    expect(store.data.allowlist.map((e) => [e.target, e.reason])).toEqual([['192.0.2.1', 'b']]);
  });

  it('when a target is unblocked and blocked again at once, and blocked once more after', async () => {
    await lists.block({ target: '203.0.113.7', reason: 'a', actor: 'user:ann' });
    await Promise.all([
      lists.unblock('203.0.113.7', 'user:ann'),
      lists.block({ target: '203.0.113.7', reason: 'b', actor: 'user:ann' }),
    ]);
    expect(store.data.blocks.map((e) => e.reason)).toEqual(['b']);
    await lists.block({ target: '203.0.113.7', reason: 'c', actor: 'user:ann' });
    expect(store.data.blocks.map((e) => e.reason)).toEqual(['c']);
    expect(lists.decide('203.0.113.7')).toMatchObject({ kind: 'blocked', entry: { reason: 'c' } });
  });
});
