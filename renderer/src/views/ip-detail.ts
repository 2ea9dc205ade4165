/**
 * One IP: whether it is blocked or allowlisted, block/unblock/allowlist buttons, its flags with
 * evidence, where it geolocates, its recent requests (live) and the audit trail about it.
 */
import {
  allowTarget,
  BLOCK_DURATIONS,
  blockTarget,
  busy,
  DEFAULT_BLOCK_DURATION,
  disallowTarget,
  dismissFlags,
  unblockTarget,
} from '../actions.js';
import { get } from '../api.js';
import { flagEvidence, reasonBadge } from '../components/flag-evidence.js';
import { createRequestTable } from '../components/request-table.js';
import { timeAbsolute, timeAgo } from '../components/time-ago.js';
import { badge, button, emptyState, h, preserveFocus, row, select, table } from '../dom.js';
import { uiBlockReason } from '../flag-groups.js';
import { countryName, formatDateTime, formatNumber } from '../format.js';
import { blockRangeOf, covers } from '../ip-ranges.js';
import { withSegment } from '../query.js';
import type { IpDetail } from '../types.js';
import { loading, pageHeader, showError, throttle, type View } from './view.js';

function statusLine(detail: IpDetail): HTMLElement {
  if (detail.decision === 'allowlisted') {
    return h(
      'p',
      { class: 'status-line' },
      badge('Allowlisted', 'ok'),
      ' Never blocked, rate-limited or flagged.',
    );
  }
  if (detail.decision === 'blocked' && detail.block !== undefined) {
    const b = detail.block;
    const until = b.expiresAt === null ? 'permanently' : `until ${formatDateTime(b.expiresAt)}`;
    const via = b.target === detail.ip ? '' : ` (by the range ${b.target})`;
    return h(
      'p',
      { class: 'status-line' },
      badge('Blocked', 'danger'),
      ` ${until}${via}, by ${b.createdBy}`,
      b.reason ? h('span', { class: 'muted' }, ` — ${b.reason}`) : null,
    );
  }
  return h(
    'p',
    { class: 'status-line' },
    badge('Not blocked', 'neutral'),
    ' Requests from this address reach your site.',
  );
}

function flagsSection(detail: IpDetail): HTMLElement {
  if (detail.flags.length === 0) return h('p', { class: 'muted' }, 'This address has never been flagged.');
  const { table: element, body } = table(
    'Flags',
    ['Reason', 'Evidence', 'State', 'First seen', 'Last seen'],
    { hiddenCaption: true },
  );
  for (const flag of detail.flags) {
    body.append(
      row(
        reasonBadge(flag.reason),
        flagEvidence(flag, { features: true }),
        flag.is_active ? badge('active', 'warning') : badge('ended', 'neutral'),
        timeAgo(flag.first_seen),
        timeAgo(flag.last_seen),
      ),
    );
  }
  return h('div', { class: 'table-scroll' }, element);
}

function countriesSection(detail: IpDetail): HTMLElement {
  if (detail.countries.length === 0)
    return h('p', { class: 'muted' }, 'No location known (private or unlisted address).');
  return h(
    'ul',
    { class: 'inline-list' },
    // Counted over the most recent requests the page shows (up to 100), not the IP's whole history.
    ...detail.countries.map((c) =>
      h(
        'li',
        null,
        `${c.name ?? countryName(c.code)} (${c.code}) · ${formatNumber(c.count)} of the ${formatNumber(detail.requests.length)} most recent requests`,
      ),
    ),
  );
}

function auditSection(detail: IpDetail): HTMLElement {
  if (detail.audit.length === 0) return h('p', { class: 'muted' }, 'No decisions about this address yet.');
  const { table: element, body } = table('Audit history', ['When', 'Action', 'Target', 'By', 'Reason'], {
    hiddenCaption: true,
  });
  for (const entry of detail.audit) {
    body.append(
      row(
        timeAbsolute(entry.at),
        badge(entry.action, 'neutral'),
        h('span', { class: 'mono' }, entry.target),
        entry.actor,
        entry.reason ?? '',
      ),
    );
  }
  return h('div', { class: 'table-scroll' }, element);
}

function card(title: string, testid: string, ...children: (HTMLElement | null)[]): HTMLElement {
  return h(
    'section',
    { class: 'card', data: { testid } },
    h('h2', { class: 'card-title' }, title),
    ...children,
  );
}

export const ipDetailView: View = (root, ctx, route) => {
  const ip = route.param ?? '';
  const body = h('div', { class: 'stack' }, loading());
  const requests = createRequestTable(`Recent requests from ${ip}`, { showIp: false });
  const duration = select(BLOCK_DURATIONS, DEFAULT_BLOCK_DURATION, { 'aria-label': 'Block duration' });
  root.append(pageHeader(ip, 'Everything ipwarden knows about this address.'), body);

  async function load(): Promise<void> {
    try {
      const detail = await get<IpDetail>(withSegment('/api/ips', ip), ctx.signal);
      preserveFocus(body, () => render(detail));
    } catch (error) {
      showError(body, error, () => void load());
    }
  }

  function actions(detail: IpDetail): HTMLElement {
    const active = detail.flags.filter((f) => f.is_active);
    const reasons = [...new Set(active.map((f) => f.reason))];
    const range = blockRangeOf(ip);
    const act = (action: () => Promise<boolean>) => (event: MouseEvent) =>
      void busy(event.currentTarget as HTMLButtonElement, action).then(() => {
        ctx.refreshFlagCount();
        return load();
      });
    const bar = h('div', { class: 'toolbar' });
    if (detail.decision === 'blocked' && detail.block !== undefined) {
      const target = detail.block.target;
      bar.append(
        button(
          'Unblock',
          act(() => unblockTarget(target)),
          { label: `Unblock ${target}`, variant: 'primary' },
        ),
      );
    } else if (detail.decision !== 'allowlisted') {
      const reason = reasons.length > 0 ? uiBlockReason(reasons) : 'blocked from UI';
      bar.append(
        h('label', { class: 'inline-field' }, 'Block for ', duration),
        button(
          'Block',
          act(() => blockTarget(ip, reason, duration.value)),
          { label: `Block ${ip}`, variant: 'danger' },
        ),
        range === null
          ? ''
          : button(
              `Block ${range}`,
              act(() => blockTarget(range, reason, duration.value)),
              { label: `Block ${range}` },
            ),
      );
    }
    if (detail.decision === 'allowlisted') {
      bar.append(
        button(
          'Remove from allowlist',
          act(() => disallowTarget(ip)),
          { label: `Remove ${ip} from allowlist` },
        ),
      );
    } else if (detail.decision !== 'blocked') {
      bar.append(
        button(
          'Allowlist',
          act(() => allowTarget(ip, 'allowlisted from UI')),
          { label: `Allowlist ${ip}` },
        ),
      );
    }
    if (active.length > 0) {
      bar.append(
        button(
          'Dismiss flags',
          act(() => dismissFlags(ip)),
          { label: `Dismiss ${ip}` },
        ),
      );
    }
    return bar;
  }

  function render(detail: IpDetail): void {
    requests.clear();
    requests.append(detail.requests);
    body.replaceChildren(
      h('section', { class: 'card', data: { testid: 'ip-status' } }, statusLine(detail), actions(detail)),
      card('Flags', 'ip-flags', flagsSection(detail)),
      card('Location', 'ip-countries', countriesSection(detail)),
      card(
        'Recent requests',
        'ip-requests',
        detail.requests.length === 0
          ? emptyState('No requests recorded', 'Nothing from this address is in the request log.')
          : requests.element,
      ),
      card('Audit history', 'ip-audit', auditSection(detail)),
    );
  }

  const reload = throttle(() => void load(), 500);
  ctx.onLeave(() => reload.cancel());
  ctx.onLeave(
    ctx.live.on('request', (record) => {
      if (record.source.ip !== ip) return;
      if (requests.size === 0) reload();
      else requests.prepend(record, 100);
    }),
  );
  ctx.onLeave(ctx.live.on('flag', (flag) => flag.ip === ip && reload()));
  for (const type of ['block', 'unblock', 'allow', 'disallow'] as const) {
    ctx.onLeave(ctx.live.on(type, (event) => covers(event.target, ip) && reload()));
  }
  void load();
};
