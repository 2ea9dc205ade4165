/**
 * Blocklist and allowlist: an add form (list-add-form.ts), one search box filtering both lists,
 * exports of each whole list, and a remove button per entry. Expired blocks stay listed, muted,
 * until removed.
 * The server searches and pages (newest first, {@link PAGE} at a time, "Show more" for the next):
 * a blocklist of a million entries is never sent whole.
 */
import { busy, disallowTarget, unblockTarget } from '../actions.js';
import { get } from '../api.js';
import { exportButtons } from '../components/export-buttons.js';
import { listAddForm } from '../components/list-add-form.js';
import { showMore } from '../components/show-more.js';
import { timeAgo } from '../components/time-ago.js';
import { badge, breakableIp, button, emptyState, h, ipLink, preserveFocus, table } from '../dom.js';
import { formatNumber } from '../format.js';
import { buildQuery } from '../query.js';
import type { AllowEntry, AllowPage, BlockEntry, BlockPage } from '../types.js';
import { loading, pageHeader, showError, throttle, type View } from './view.js';

/** The query of one page: `limit` entries matching `text`, from the `offset`-th newest match. */
function query(text: string, offset: number, limit: number): string {
  return buildQuery({ search: text, offset: offset === 0 ? undefined : offset, limit });
}

/** Entries asked for at a time. */
const PAGE = 200;
/** The most entries one request may ask for (the API's `limit` cap). */
const MAX_LIMIT = 1000;

/** What the view holds of one list: the entries shown and the list's counts. */
interface Listed<E> {
  entries: E[];
  total: number;
  matched: number;
  /** Blocks in force (the blocklist only). */
  active?: number;
}

function targetCell(target: string): HTMLElement {
  return target.includes('/') ? h('span', { class: 'mono ip' }, ...breakableIp(target)) : ipLink(target);
}

export const listsView: View = (root, ctx) => {
  let blocks: Listed<BlockEntry> = { entries: [], total: 0, matched: 0, active: 0 };
  let allowlist: Listed<AllowEntry> = { entries: [], total: 0, matched: 0 };
  /** Bumped by every load: an answer to an older one (an older search) is dropped. */
  let generation = 0;
  /** The search the entries shown were found with: Show more pages on with it, not with what is typed since. */
  let shownSearch = '';
  const blockMore = showMore(() => void more('block'));
  const allowMore = showMore(() => void more('allow'));
  const blockSlot = h('div', { class: 'table-scroll' }, loading());
  const allowSlot = h('div', { class: 'table-scroll' }, loading());
  const blockCount = h('span', { class: 'muted' });
  const allowCount = h('span', { class: 'muted' });
  const search = h('input', {
    attrs: {
      type: 'search',
      placeholder: 'Search both lists',
      'aria-label': 'Search both lists',
      maxlength: 200,
    },
  });
  const searched = throttle(() => void load(true), 250);
  search.addEventListener('input', () => searched());

  const form = listAddForm(() => load());

  root.append(
    pageHeader(
      'Block & allow lists',
      'Blocked clients get 403. Allowlisted clients are never blocked, rate-limited or flagged.',
    ),
    form,
    h(
      'div',
      { class: 'toolbar' },
      search,
      // The exports hold every entry, whatever the search: the search pages a long list on screen.
      exportButtons('blocks', () => ({}), { scope: 'the whole blocklist', caption: 'Whole blocklist:' }),
      exportButtons('allowlist', () => ({}), { scope: 'the whole allowlist', caption: 'Whole allowlist:' }),
    ),
    h(
      'div',
      { class: 'lists-grid' },
      h(
        'section',
        { class: 'card card-flush', data: { testid: 'blocklist' } },
        h('h2', { class: 'card-title' }, 'Blocklist ', blockCount),
        blockSlot,
        blockMore.element,
      ),
      h(
        'section',
        { class: 'card card-flush', data: { testid: 'allowlist' } },
        h('h2', { class: 'card-title' }, 'Allowlist ', allowCount),
        allowSlot,
        allowMore.element,
      ),
    ),
  );

  /** `limit` blocks matching `text`, from the `offset`-th newest match. */
  async function blockPage(text: string, offset: number, limit: number): Promise<Listed<BlockEntry>> {
    const { blocks, total, matched, active } = await get<BlockPage>(
      `/api/blocks${query(text, offset, limit)}`,
      ctx.signal,
    );
    return { entries: blocks, total, matched, active };
  }

  /** `limit` allowlist entries matching `text`, from the `offset`-th newest match. */
  async function allowPage(text: string, offset: number, limit: number): Promise<Listed<AllowEntry>> {
    const { allowlist, total, matched } = await get<AllowPage>(
      `/api/allowlist${query(text, offset, limit)}`,
      ctx.signal,
    );
    return { entries: allowlist, total, matched };
  }

  /** The newest `count` entries of a list, in requests of at most {@link MAX_LIMIT}. */
  async function newest<E>(
    fetchPage: (offset: number, limit: number) => Promise<Listed<E>>,
    count: number,
  ): Promise<Listed<E>> {
    const first = await fetchPage(0, Math.min(count, MAX_LIMIT));
    while (first.entries.length < Math.min(count, first.matched)) {
      const next = await fetchPage(first.entries.length, Math.min(count - first.entries.length, MAX_LIMIT));
      if (next.entries.length === 0) break;
      first.entries.push(...next.entries);
    }
    return first;
  }

  /**
   * Loads both lists again from the newest entry: a page for a new search (`fresh`), else as many as
   * were shown (at least a page, and all of it if all was shown).
   */
  async function load(fresh = false): Promise<void> {
    const mine = ++generation;
    const text = search.value;
    // A list shown whole stays whole: what arrived meanwhile (up to a page) is shown too.
    const keep = ({ entries, matched }: Listed<unknown>) =>
      fresh ? PAGE : Math.max(PAGE, entries.length >= matched ? entries.length + PAGE : entries.length);
    try {
      const [b, a] = await Promise.all([
        newest((offset, limit) => blockPage(text, offset, limit), keep(blocks)),
        newest((offset, limit) => allowPage(text, offset, limit), keep(allowlist)),
      ]);
      if (mine !== generation) return;
      blocks = b;
      allowlist = a;
      shownSearch = text;
      render();
    } catch (error) {
      if (mine !== generation) return;
      showError(blockSlot, error, () => void load());
      allowSlot.replaceChildren();
      blockMore.hide();
      allowMore.hide();
    }
  }

  /**
   * Appends the next page of one list, for the search its entries were found with. The page is
   * dropped if the list was loaded again meanwhile (a new search, a live change): it would not
   * follow on from what is shown.
   */
  async function more(list: 'block' | 'allow'): Promise<void> {
    await busy((list === 'block' ? blockMore : allowMore).button, async () => {
      if (list === 'block') {
        const shown = blocks;
        const next = await blockPage(shownSearch, shown.entries.length, PAGE);
        if (blocks !== shown) return;
        blocks = { ...next, entries: [...shown.entries, ...next.entries] };
      } else {
        const shown = allowlist;
        const next = await allowPage(shownSearch, shown.entries.length, PAGE);
        if (allowlist !== shown) return;
        allowlist = { ...next, entries: [...shown.entries, ...next.entries] };
      }
      render();
    });
  }

  function remove(action: () => Promise<boolean>) {
    return (event: MouseEvent) =>
      void busy(event.currentTarget as HTMLButtonElement, action).then(() => load());
  }

  function blockTable(): HTMLElement {
    const shown = blocks.entries;
    if (blocks.total === 0)
      return emptyState(
        'Nothing blocked',
        'Add an IP or CIDR above, or block a flagged IP from the Flagged IPs page.',
      );
    if (shown.length === 0) return h('p', { class: 'muted pad' }, 'No blocked entry matches the search.');
    const { table: element, body } = table(
      'Blocklist',
      ['Target', 'Reason', 'Added', 'By', 'Expires', h('span', { class: 'sr-only' }, 'Actions')],
      {
        hiddenCaption: true,
      },
    );
    for (const entry of shown) {
      const expires = entry.expired
        ? badge('expired', 'neutral')
        : entry.expiresAt === null
          ? h('span', { class: 'muted' }, 'never')
          : timeAgo(entry.expiresAt);
      body.append(
        h(
          'tr',
          { class: entry.expired ? 'row-muted' : '', data: { key: entry.target } },
          h('td', null, targetCell(entry.target)),
          h('td', { class: 'cell-reason' }, entry.reason),
          h('td', null, timeAgo(entry.createdAt)),
          h('td', null, entry.createdBy),
          h('td', null, expires),
          h(
            'td',
            null,
            button(
              entry.expired ? 'Remove' : 'Unblock',
              remove(() => unblockTarget(entry.target)),
              { label: `Unblock ${entry.target}`, variant: 'small' },
            ),
          ),
        ),
      );
    }
    return element;
  }

  function allowTable(): HTMLElement {
    const shown = allowlist.entries;
    if (allowlist.total === 0)
      return emptyState(
        'Allowlist empty',
        'Add your own addresses and monitoring services so they are never blocked.',
      );
    if (shown.length === 0) return h('p', { class: 'muted pad' }, 'No allowlisted entry matches the search.');
    const { table: element, body } = table(
      'Allowlist',
      ['Target', 'Reason', 'Added', 'By', h('span', { class: 'sr-only' }, 'Actions')],
      {
        hiddenCaption: true,
      },
    );
    for (const entry of shown) {
      body.append(
        h(
          'tr',
          { data: { key: entry.target } },
          h('td', null, targetCell(entry.target)),
          h('td', { class: 'cell-reason' }, entry.reason),
          h('td', null, timeAgo(entry.createdAt)),
          h('td', null, entry.createdBy),
          h(
            'td',
            null,
            button(
              'Remove',
              remove(() => disallowTarget(entry.target)),
              { label: `Remove ${entry.target} from allowlist`, variant: 'small' },
            ),
          ),
        ),
      );
    }
    return element;
  }

  function render(): void {
    const { active = blocks.total, total } = blocks;
    blockCount.textContent = `${formatNumber(active)} active${total > active ? `, ${formatNumber(total - active)} expired` : ''}`;
    allowCount.textContent = formatNumber(allowlist.total);
    for (const [footer, list] of [
      [blockMore, blocks],
      [allowMore, allowlist],
    ] as const)
      footer.update(list.entries.length, list.matched, PAGE, list.matched < list.total);
    preserveFocus(blockSlot, () => blockSlot.replaceChildren(blockTable()));
    preserveFocus(allowSlot, () => allowSlot.replaceChildren(allowTable()));
  }

  const reload = throttle(() => void load(), 300);
  ctx.onLeave(() => {
    reload.cancel();
    searched.cancel();
  });
  for (const type of ['block', 'unblock', 'allow', 'disallow'] as const)
    ctx.onLeave(ctx.live.on(type, () => reload()));
  void load();
};
