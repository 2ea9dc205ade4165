/**
 * Blocklist and allowlist: an add form (IP or CIDR, reason, expiry), one search box filtering
 * both lists, and a remove button per entry. Expired blocks stay listed, muted, until removed.
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
import type { AllowEntry, BlockEntry } from '../types.js';
import { loading, pageHeader, showError, throttle, type View } from './view.js';

/** True when an entry's target or reason contains the search text (case-insensitive). */
function matches(entry: { target: string; reason: string; createdBy: string }, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (needle === '') return true;
  return [entry.target, entry.reason, entry.createdBy].some((text) => text.toLowerCase().includes(needle));
}

function targetCell(target: string): HTMLElement {
  return target.includes('/') ? h('span', { class: 'mono' }, target) : ipLink(target);
}

export const listsView: View = (root, ctx) => {
  let blocks: BlockEntry[] = [];
  let allowlist: AllowEntry[] = [];
  const blockSlot = h('div', { class: 'table-scroll' }, loading());
  const allowSlot = h('div', { class: 'table-scroll' }, loading());
  const blockCount = h('span', { class: 'muted' });
  const allowCount = h('span', { class: 'muted' });
  const search = h('input', {
    attrs: { type: 'search', placeholder: 'Search both lists', 'aria-label': 'Search both lists' },
  });
  search.addEventListener('input', () => render());

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
      ),
      h(
        'section',
        { class: 'card card-flush', data: { testid: 'allowlist' } },
        h('h2', { class: 'card-title' }, 'Allowlist ', allowCount),
        allowSlot,
      ),
    ),
  );

  async function load(): Promise<void> {
    try {
      const [b, a] = await Promise.all([
        get<{ blocks: BlockEntry[] }>('/api/blocks', ctx.signal),
        get<{ allowlist: AllowEntry[] }>('/api/allowlist', ctx.signal),
      ]);
      blocks = b.blocks;
      allowlist = a.allowlist;
      render();
    } catch (error) {
      showError(blockSlot, error, () => void load());
      allowSlot.replaceChildren();
    }
  }

  function remove(action: () => Promise<boolean>) {
    return (event: MouseEvent) =>
      void busy(event.currentTarget as HTMLButtonElement, action).then(() => load());
  }

  function blockTable(): HTMLElement {
    const shown = blocks.filter((b) => matches(b, search.value));
    if (blocks.length === 0)
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
    const shown = allowlist.filter((a) => matches(a, search.value));
    if (allowlist.length === 0)
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
    const active = blocks.filter((b) => !b.expired).length;
    blockCount.textContent = `${formatNumber(active)} active${blocks.length > active ? `, ${formatNumber(blocks.length - active)} expired` : ''}`;
    allowCount.textContent = formatNumber(allowlist.length);
    preserveFocus(blockSlot, () => blockSlot.replaceChildren(blockTable()));
    preserveFocus(allowSlot, () => allowSlot.replaceChildren(allowTable()));
  }

  const reload = throttle(() => void load(), 300);
  ctx.onLeave(() => reload.cancel());
  for (const type of ['block', 'unblock', 'allow', 'disallow'] as const)
    ctx.onLeave(ctx.live.on(type, () => reload()));
  void load();
};
