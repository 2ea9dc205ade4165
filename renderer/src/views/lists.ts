/**
 * Blocklist and allowlist: an add form (IP or CIDR, reason, expiry), one search box filtering
 * both lists, and a remove button per entry. Expired blocks stay listed, muted, until removed.
 * The server searches and pages (newest first, {@link PAGE} at a time, "Show more" for the next):
 * a blocklist of a million entries is never sent whole.
 */
import {
  allowTarget,
  BLOCK_DURATIONS,
  blockTarget,
  busy,
  DEFAULT_BLOCK_DURATION,
  disallowTarget,
  unblockTarget,
} from '../actions.js';
import { get } from '../api.js';
import { timeAgo } from '../components/time-ago.js';
import { badge, button, emptyState, field, h, ipLink, preserveFocus, select, table } from '../dom.js';
import { formatNumber } from '../format.js';
import { buildQuery } from '../query.js';
import type { AllowPage, BlockPage } from '../types.js';
import { loading, pageHeader, showError, throttle, type View } from './view.js';

/** Entries asked for at a time. */
const PAGE = 200;
/** The most entries one request may ask for (the API's `limit` cap). */
const MAX_LIMIT = 1000;

function targetCell(target: string): HTMLElement {
  return target.includes('/') ? h('span', { class: 'mono' }, target) : ipLink(target);
}

export const listsView: View = (root, ctx) => {
  let blocks: BlockPage = { blocks: [], total: 0, matched: 0, active: 0 };
  let allowlist: AllowPage = { allowlist: [], total: 0, matched: 0 };
  /** Bumped by every load: an answer to an older one (an older search) is dropped. */
  let generation = 0;
  const blockMore = button('Show more', () => void more('block'), { variant: 'small' });
  const allowMore = button('Show more', () => void more('allow'), { variant: 'small' });
  const blockShown = h('span', { class: 'muted' });
  const allowShown = h('span', { class: 'muted' });
  const blockSlot = h('div', { class: 'table-scroll' }, loading());
  const allowSlot = h('div', { class: 'table-scroll' }, loading());
  const blockCount = h('span', { class: 'muted' });
  const allowCount = h('span', { class: 'muted' });
  const search = h('input', {
    attrs: { type: 'search', placeholder: 'Search both lists', 'aria-label': 'Search both lists' },
  });
  const searched = throttle(() => void load(true), 250);
  search.addEventListener('input', () => searched());

  const target = h('input', {
    attrs: {
      type: 'text',
      required: true,
      placeholder: '203.0.113.7 or 198.51.100.0/24',
      autocomplete: 'off',
      spellcheck: 'false',
    },
  });
  const reason = h('input', {
    attrs: { type: 'text', placeholder: 'why (shown in the audit trail)', maxlength: 500 },
  });
  const list = select(
    [
      ['block', 'Blocklist'],
      ['allow', 'Allowlist'],
    ],
    'block',
  );
  const expiry = select(BLOCK_DURATIONS, DEFAULT_BLOCK_DURATION);
  const expiryField = field('Expires after', expiry);
  list.addEventListener('change', () => {
    expiryField.hidden = list.value !== 'block';
  });
  const submit = button('Add', () => undefined, { type: 'submit', variant: 'primary' });
  const form = h(
    'form',
    { class: 'card add-form', attrs: { 'aria-label': 'Add to a list' } },
    field('IP or CIDR', target),
    field('Reason', reason),
    field('List', list),
    expiryField,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = target.value.trim();
    if (value === '') return;
    const text = reason.value.trim();
    void busy(submit, async () => {
      const ok =
        list.value === 'block'
          ? await blockTarget(value, text || 'blocked from UI', expiry.value)
          : await allowTarget(value, text || 'allowlisted from UI');
      if (ok) {
        target.value = '';
        reason.value = '';
        await load();
      }
      target.focus();
    });
  });

  root.append(
    pageHeader(
      'Block & allow lists',
      'Blocked clients get 403. Allowlisted clients are never blocked, rate-limited or flagged.',
    ),
    form,
    h('div', { class: 'toolbar' }, search),
    h(
      'div',
      { class: 'lists-grid' },
      h(
        'section',
        { class: 'card card-flush', data: { testid: 'blocklist' } },
        h('h2', { class: 'card-title' }, 'Blocklist ', blockCount),
        blockSlot,
        h('div', { class: 'load-more' }, blockShown, blockMore),
      ),
      h(
        'section',
        { class: 'card card-flush', data: { testid: 'allowlist' } },
        h('h2', { class: 'card-title' }, 'Allowlist ', allowCount),
        allowSlot,
        h('div', { class: 'load-more' }, allowShown, allowMore),
      ),
    ),
  );

  /** One page of a list for the current search: `limit` entries from the `offset`-th newest match. */
  function page<T>(path: string, offset: number, limit: number): Promise<T> {
    const query = buildQuery({ search: search.value, offset: offset === 0 ? undefined : offset, limit });
    return get<T>(`${path}${query}`, ctx.signal);
  }

  /**
   * Loads both lists again from the newest entry: a page for a new search (`fresh`), else as many as
   * were shown (at least a page, at most {@link MAX_LIMIT}).
   */
  async function load(fresh = false): Promise<void> {
    const mine = ++generation;
    const keep = (shown: number) => (fresh ? PAGE : Math.min(MAX_LIMIT, Math.max(PAGE, shown)));
    try {
      const [b, a] = await Promise.all([
        page<BlockPage>('/api/blocks', 0, keep(blocks.blocks.length)),
        page<AllowPage>('/api/allowlist', 0, keep(allowlist.allowlist.length)),
      ]);
      if (mine !== generation) return;
      blocks = b;
      allowlist = a;
      render();
    } catch (error) {
      if (mine !== generation) return;
      showError(blockSlot, error, () => void load());
      allowSlot.replaceChildren();
    }
  }

  /** Appends the next page of one list. */
  async function more(list: 'block' | 'allow'): Promise<void> {
    const mine = generation;
    const button = list === 'block' ? blockMore : allowMore;
    await busy(button, async () => {
      if (list === 'block') {
        const next = await page<BlockPage>('/api/blocks', blocks.blocks.length, PAGE);
        if (mine === generation) blocks = { ...next, blocks: [...blocks.blocks, ...next.blocks] };
      } else {
        const next = await page<AllowPage>('/api/allowlist', allowlist.allowlist.length, PAGE);
        if (mine === generation)
          allowlist = { ...next, allowlist: [...allowlist.allowlist, ...next.allowlist] };
      }
      if (mine === generation) render();
    });
  }

  function remove(action: () => Promise<boolean>) {
    return (event: MouseEvent) =>
      void busy(event.currentTarget as HTMLButtonElement, action).then(() => load());
  }

  function blockTable(): HTMLElement {
    const shown = blocks.blocks;
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
    const shown = allowlist.allowlist;
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
    const { active, total } = blocks;
    blockCount.textContent = `${formatNumber(active)} active${total > active ? `, ${formatNumber(total - active)} expired` : ''}`;
    allowCount.textContent = formatNumber(allowlist.total);
    paging(blockShown, blockMore, blocks.blocks.length, blocks.matched, blocks.total);
    paging(allowShown, allowMore, allowlist.allowlist.length, allowlist.matched, allowlist.total);
    preserveFocus(blockSlot, () => blockSlot.replaceChildren(blockTable()));
    preserveFocus(allowSlot, () => allowSlot.replaceChildren(allowTable()));
  }

  /** "200 of 1,000,000 shown" (or "… matching") and the Show more button, while there is more. */
  function paging(
    status: HTMLElement,
    more: HTMLButtonElement,
    shown: number,
    matched: number,
    total: number,
  ) {
    more.hidden = shown >= matched;
    status.hidden = matched <= PAGE && shown >= matched;
    status.textContent = `${formatNumber(shown)} of ${formatNumber(matched)}${matched < total ? ' matching' : ''} shown`;
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
