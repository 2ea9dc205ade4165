/**
 * Flagged IPs: active flags grouped by IP with their evidence, one-click Block / Block range /
 * Dismiss (Unblock for IPs already blocked), and bulk actions on the selected rows. New flags
 * appear live. Rows are drawn {@link PAGE} at a time with "Show more": 5,000 rows took the page
 * 4.8 s to draw, again on every live reload during a flag storm.
 */
import { blockTarget, blockTargets, busy, dismissFlags, unblockCovering } from '../actions.js';
import { get } from '../api.js';
import { exportButtons } from '../components/export-buttons.js';
import { flagEvidence, reasonBadge } from '../components/flag-evidence.js';
import { rangeSuggestionsPanel } from '../components/range-suggestions.js';
import { showMore } from '../components/show-more.js';
import { timeAgo } from '../components/time-ago.js';
import { badge, button, emptyState, h, ipLink, preserveFocus, select, table } from '../dom.js';
import { REASON_LABELS, reasonLabel } from '../evidence.js';
import { type FlaggedIp, groupFlags, uiBlockReason } from '../flag-groups.js';
import { countryName, formatNumber } from '../format.js';
import { countryOf } from '../ip-country.js';
import { blockRangeOf } from '../ip-ranges.js';
import type { Flag, FlagBlock } from '../types.js';
import { loading, pageHeader, showError, throttle, type View } from './view.js';

/** Rows drawn at a time. */
const PAGE = 200;

interface Row {
  group: FlaggedIp;
  block: FlagBlock | undefined;
}

function countryCell(group: FlaggedIp): HTMLElement {
  const cell = h('span', { class: 'muted' }, group.country ?? '…');
  const show = (code: string | undefined) => {
    cell.textContent = code ?? '—';
    if (code !== undefined) cell.title = countryName(code);
  };
  // Undefined: the server did not say, so the IP's newest record is asked; null: nobody knows.
  if (group.country !== undefined) show(group.country ?? undefined);
  else void countryOf(group.ip).then(show);
  return cell;
}

export const flagsView: View = (root, ctx) => {
  const selected = new Set<string>();
  let rows: Row[] = [];
  let reasonFilter = '';
  /** How many rows of the current filter are drawn; kept across live reloads. */
  let drawn = PAGE;
  const footer = showMore(() => {
    drawn += PAGE;
    render();
  });
  const content = h('div', { class: 'card card-flush' }, loading());
  const suggestions = rangeSuggestionsPanel(ctx.signal, () => {
    ctx.refreshFlagCount();
    void load();
  });
  const summary = h('span', { class: 'muted', attrs: { role: 'status' } });
  const blockSelected = button('Block selected', () => void bulk('block'), { variant: 'danger small' });
  const unblockSelected = button('Unblock selected', () => void bulk('unblock'), { variant: 'small' });
  const reasonSelect = select([['', 'All reasons'], ...Object.entries(REASON_LABELS)], '', {
    'aria-label': 'Filter by reason',
  });
  reasonSelect.addEventListener('change', () => {
    reasonFilter = reasonSelect.value;
    drawn = PAGE;
    render();
  });
  root.append(
    pageHeader(
      'Flagged IPs',
      'Clients that crossed a detection threshold. Block them, or dismiss the flag if the traffic is legitimate.',
    ),
    suggestions.element,
    h(
      'div',
      { class: 'toolbar' },
      reasonSelect,
      blockSelected,
      unblockSelected,
      summary,
      // Flags keep their evidence after they expire or are dismissed: the export is the history.
      exportButtons('flags', () => ({}), {
        scope: 'every flag, active and past',
        caption: 'All flags, active and past:',
      }),
    ),
    content,
    footer.element,
  );

  async function load(): Promise<void> {
    suggestions.refresh();
    try {
      const flags = await get<{ flags: Flag[] }>('/api/flags?active=1', ctx.signal);
      rows = groupFlags(flags.flags.filter((flag) => flag.is_active)).map((group) => ({
        group,
        block: group.block,
      }));
      render();
    } catch (error) {
      showError(content, error, () => void load());
      footer.hide();
    }
  }

  function visible(): Row[] {
    return reasonFilter === '' ? rows : rows.filter((r) => r.group.reasons.includes(reasonFilter));
  }

  function render(): void {
    const matching = visible();
    // Never more drawn than the rows there are (rounded up to a page): a storm redraws what is drawn.
    drawn = Math.max(PAGE, Math.min(drawn, Math.ceil(matching.length / PAGE) * PAGE));
    const shown = matching.slice(0, drawn);
    // Bulk actions act on what is drawn: a selected row pushed out of view (by newer flags, by the
    // reason filter) is no longer selected.
    const drawnIps = new Set(shown.map((r) => r.group.ip));
    for (const ip of selected) if (!drawnIps.has(ip)) selected.delete(ip);
    footer.update(shown.length, matching.length, PAGE, reasonFilter !== '');
    const ips = `${formatNumber(rows.length)} flagged ${rows.length === 1 ? 'IP' : 'IPs'}`;
    summary.textContent =
      reasonFilter === '' ? ips : `${formatNumber(matching.length)} of ${ips}: ${reasonLabel(reasonFilter)}`;
    updateBulkButtons();
    if (shown.length === 0) {
      content.replaceChildren(
        rows.length === 0
          ? emptyState(
              'No flagged IPs',
              'ipwarden flags clients that cross a detection threshold within an hour — too many requests, failed logins, ' +
                'sensitive-path or admin-path hits — or that the hourly anomaly model singles out. New flags appear here live.',
              h('a', { attrs: { href: '#/settings' } }, 'Review the detection thresholds'),
            )
          : emptyState('No flagged IPs for this reason', 'Pick “All reasons” to see every flagged IP.'),
      );
      return;
    }
    const all = h('input', { attrs: { type: 'checkbox', 'aria-label': 'Select all flagged IPs shown' } });
    all.checked = shown.every((r) => selected.has(r.group.ip));
    all.addEventListener('change', () => {
      for (const r of shown) {
        if (all.checked) selected.add(r.group.ip);
        else selected.delete(r.group.ip);
      }
      render();
    });
    const { table: element, body } = table(
      'Flagged IPs',
      [all, 'IP', 'Reasons', 'Evidence', 'Country', 'Seen', h('span', { class: 'sr-only' }, 'Actions')],
      { hiddenCaption: true, class: 'table-flags' },
    );
    for (const r of shown) body.append(flagRow(r));
    preserveFocus(content, () => content.replaceChildren(h('div', { class: 'table-scroll' }, element)));
  }

  function flagRow({ group, block }: Row): HTMLTableRowElement {
    const check = h('input', { attrs: { type: 'checkbox', 'aria-label': `Select ${group.ip}` } });
    check.checked = selected.has(group.ip);
    check.addEventListener('change', () => {
      if (check.checked) selected.add(group.ip);
      else selected.delete(group.ip);
      updateBulkButtons();
    });
    const range = blockRangeOf(group.ip);
    const actions = h('div', { class: 'row-actions' });
    if (block !== undefined) {
      actions.append(
        button('Unblock', (e) => void act(e, () => unblockCovering([[group.ip, block.target]])), {
          label: `Unblock ${block.target}`,
          variant: 'small',
        }),
      );
    } else {
      actions.append(
        button('Block', (e) => void act(e, () => blockTarget(group.ip, uiBlockReason(group.reasons))), {
          label: `Block ${group.ip}`,
          variant: 'danger small',
        }),
        range === null
          ? ''
          : button(
              `Block /${range.split('/')[1]}`,
              (e) => void act(e, () => blockTarget(range, uiBlockReason(group.reasons))),
              {
                label: `Block ${range}`,
                variant: 'small',
                title: `Block ${range}`,
              },
            ),
      );
    }
    actions.append(
      button('Dismiss', (e) => void act(e, () => dismissFlags(group.ip)), {
        label: `Dismiss ${group.ip}`,
        variant: 'small',
      }),
    );
    const tr = h(
      'tr',
      { data: { key: group.ip } },
      h('td', null, check),
      h(
        'td',
        null,
        ipLink(group.ip, 'groups'),
        block === undefined
          ? null
          : h(
              'div',
              null,
              badge(
                block.target === group.ip ? 'Blocked' : `Blocked by ${block.target}`,
                'danger',
                `Blocked by ${block.target}`,
              ),
            ),
      ),
      h('td', null, h('div', { class: 'badges' }, ...group.reasons.map(reasonBadge))),
      h('td', null, ...group.flags.map((flag) => flagEvidence(flag, { withReason: group.flags.length > 1 }))),
      h('td', null, countryCell(group)),
      // One column for both times: two made the table wider than a 1,280 px window.
      h(
        'td',
        { class: 'cell-nowrap' },
        h('div', null, 'last ', timeAgo(group.lastSeen)),
        h('div', { class: 'muted small' }, 'first ', timeAgo(group.firstSeen)),
      ),
      h('td', null, actions),
    );
    return tr;
  }

  function updateBulkButtons(): void {
    const chosen = rows.filter((r) => selected.has(r.group.ip));
    blockSelected.hidden = unblockSelected.hidden = rows.length === 0;
    blockSelected.disabled = !chosen.some((r) => r.block === undefined);
    unblockSelected.disabled = !chosen.some((r) => r.block !== undefined);
    const n = (predicate: (r: Row) => boolean) => formatNumber(chosen.filter(predicate).length);
    blockSelected.textContent =
      chosen.length === 0 ? 'Block selected' : `Block selected (${n((r) => r.block === undefined)})`;
    unblockSelected.textContent =
      chosen.length === 0 ? 'Unblock selected' : `Unblock selected (${n((r) => r.block !== undefined)})`;
  }

  async function act(event: MouseEvent, action: () => Promise<boolean>): Promise<void> {
    const target = event.currentTarget;
    if (target instanceof HTMLButtonElement) await busy(target, action);
    else await action();
    ctx.refreshFlagCount();
    // The suggestions reload at once too: a block from a row may be the range one suggests.
    await Promise.all([load(), suggestions.load()]);
  }

  async function bulk(kind: 'block' | 'unblock'): Promise<void> {
    const chosen = rows.filter(
      (r) => selected.has(r.group.ip) && (kind === 'block' ? r.block === undefined : r.block !== undefined),
    );
    blockSelected.disabled = unblockSelected.disabled = true;
    if (kind === 'block') {
      await blockTargets(chosen.map((r) => ({ target: r.group.ip, reason: uiBlockReason(r.group.reasons) })));
    } else {
      const pairs = chosen.flatMap((r) => (r.block ? [[r.group.ip, r.block.target] as const] : []));
      if (!(await unblockCovering(pairs))) {
        updateBulkButtons();
        return;
      }
    }
    selected.clear();
    ctx.refreshFlagCount();
    await Promise.all([load(), suggestions.load()]);
  }

  // New flags show within a second; decisions made elsewhere (CLI, another window) too.
  const reload = throttle(() => void load(), 500);
  ctx.onLeave(() => reload.cancel());
  for (const type of ['flag', 'unflag', 'block', 'unblock', 'allow', 'disallow'] as const)
    ctx.onLeave(ctx.live.on(type, () => reload()));
  void load();
};
