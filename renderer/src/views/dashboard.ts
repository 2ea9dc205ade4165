/**
 * Dashboard: traffic over a range (last hour, 24 h, 7 days, custom) — counters, requests over time,
 * the world map, top countries, top IPs and paths, status codes. Live requests bump the counters
 * and the timeline at once; the rest is refetched a few seconds later.
 */
import { get } from '../api.js';
import { createCounters } from '../components/counters.js';
import {
  choiceFromQuery,
  choiceQuery,
  currentChoice,
  type RangeChoice,
  rangePicker,
  rememberChoice,
  resolveRange,
} from '../components/range-picker.js';
import { emptyState, h, ipLink, row, table } from '../dom.js';
import { formatNumber } from '../format.js';
import { buildQuery } from '../query.js';
import { routeHash } from '../route.js';
import {
  type ActionCounts,
  addToTimeline,
  axisLabelsFor,
  bucketFor,
  countsOf,
  fillTimeline,
  type Slot,
  type TimeRange,
} from '../time-range.js';
import type { Stats } from '../types.js';
import { createDashboardCharts } from './dashboard-charts.js';
import { pageHeader, showError, throttle, type View } from './view.js';

function topIpsTable(stats: Stats): HTMLElement {
  if (stats.topIps.length === 0) return h('p', { class: 'muted' }, 'No clients in this range.');
  const { table: element, body } = table('Top IPs', ['IP', 'Country', 'Requests'], { hiddenCaption: true });
  for (const ip of stats.topIps) {
    body.append(
      row(ipLink(ip.ip, 'groups'), ip.country ?? '—', h('span', { class: 'num' }, formatNumber(ip.count))),
    );
  }
  return element;
}

function topPathsTable(stats: Stats): HTMLElement {
  if (stats.topPaths.length === 0) return h('p', { class: 'muted' }, 'No paths in this range.');
  const { table: element, body } = table('Top paths', ['Path', 'Requests'], { hiddenCaption: true });
  for (const path of stats.topPaths) {
    const href = routeHash('requests', undefined, { path: path.path });
    const link = h('a', { class: 'mono', attrs: { href, title: `Requests for ${path.path}` } }, path.path);
    body.append(
      row(h('td', { class: 'cell-ellipsis' }, link), h('span', { class: 'num' }, formatNumber(path.count))),
    );
  }
  return element;
}

/** Names `choice` in the address without a new history entry (the history state is kept). */
function showInAddress(choice: RangeChoice): void {
  history.replaceState(history.state, '', routeHash('dashboard', undefined, choiceQuery(choice)));
}

function tableCard(title: string, testid: string): { card: HTMLElement; body: HTMLElement } {
  const body = h('div', { class: 'table-scroll' });
  return {
    card: h('section', { class: 'card', data: { testid } }, h('h2', { class: 'card-title' }, title), body),
    body,
  };
}

export const dashboardView: View = (root, ctx, route) => {
  // The range named in the address wins (a reload, a shared link); the address then names the range.
  const named = choiceFromQuery(route.query);
  if (named !== null) rememberChoice(named);
  showInAddress(currentChoice());
  const counters = createCounters();
  const charts = createDashboardCharts();
  const ips = tableCard('Top IPs', 'top-ips');
  const paths = tableCard('Top paths', 'top-paths');
  const notice = h('div', { class: 'notice-slot' });
  let range: TimeRange | null = resolveRange(currentChoice());
  let slots: Slot[] = [];
  let loadToken = 0;

  root.append(
    pageHeader(
      'Dashboard',
      'Traffic through the proxy: what was allowed, blocked and rate-limited, and from where.',
      rangePicker(changeRange),
    ),
    notice,
    counters.element,
    h(
      'div',
      { class: 'dashboard-grid' },
      charts.timeline.card,
      charts.map.card,
      charts.countries.card,
      ips.card,
      paths.card,
      charts.status.card,
    ),
  );
  ctx.onLeave(() => charts.destroy());

  async function load(): Promise<void> {
    const choice = currentChoice();
    range = resolveRange(choice);
    if (range === null) return;
    const token = ++loadToken;
    const bucket = bucketFor(range);
    const query = buildQuery({
      since: new Date(range.since).toISOString(),
      until: new Date(range.until).toISOString(),
      top: 10,
      bucket,
    });
    try {
      const stats = await get<Stats>(`/api/stats${query}`, ctx.signal);
      if (token !== loadToken) return;
      render(stats, range);
    } catch (error) {
      showError(notice, error, () => void load());
    }
  }

  function render(stats: Stats, current: TimeRange): void {
    notice.replaceChildren(stats.total === 0 ? noTraffic() : '');
    counters.set({
      total: stats.total,
      uniqueIps: stats.uniqueIps,
      blocked: stats.blocked,
      rateLimited: stats.rateLimited,
      flaggedIps: stats.flaggedIps,
      activeBlocks: stats.activeBlocks,
    });
    slots = fillTimeline(stats.timeline ?? [], current, bucketFor(current));
    charts.show({
      slots,
      labels: axisLabelsFor(current),
      countries: stats.countries ?? stats.topCountries,
      topCountries: stats.topCountries,
      statusCodes: stats.statusCodes,
    });
    ips.body.replaceChildren(topIpsTable(stats));
    paths.body.replaceChildren(topPathsTable(stats));
  }

  function noTraffic(): HTMLElement {
    const proxy = ctx.health()?.proxyUrl;
    const where = proxy === undefined ? 'the proxy address that “ipwarden start” printed' : proxy;
    return emptyState(
      'No requests in this range yet',
      `Send traffic through the proxy at ${where} and it shows up here within seconds. Pick a longer range to see older traffic.`,
    );
  }

  function changeRange(choice: RangeChoice): void {
    showInAddress(choice);
    refresh.cancel();
    void load();
  }

  // Live: counters and the timeline move at once; the tables, map and unique IPs catch up shortly
  // (after 5 s for the last hour; 15 s for longer ranges, whose stats take the server longer).
  const refreshSoon = throttle(() => void load(), 5_000);
  const refreshLater = throttle(() => void load(), 15_000);
  const refresh = Object.assign(
    () => (range !== null && bucketFor(range) === 'minute' ? refreshSoon() : refreshLater()),
    {
      cancel: () => {
        refreshSoon.cancel();
        refreshLater.cancel();
      },
    },
  );
  ctx.onLeave(() => refresh.cancel());
  const count = (t: number, counts: ActionCounts) => {
    if (range === null || !range.live || t < range.since) return;
    const total = counts.allowed + counts.blocked + counts.rateLimited;
    if (total === 0) return;
    counters.add('total', total);
    counters.add('blocked', counts.blocked);
    counters.add('rateLimited', counts.rateLimited);
    addToTimeline(slots, t, counts, bucketFor(range));
    charts.showTimeline(slots, axisLabelsFor(range));
    refresh();
  };
  // Servers that send `tick` count exactly with it (request events are sampled under load).
  ctx.onLeave(ctx.live.on('tick', (tick) => count(Date.parse(tick.at) - 500, tick)));
  ctx.onLeave(
    ctx.live.on('request', (record) => {
      if (!ctx.live.ticking) count(Date.parse(record['@timestamp']), countsOf(record.event.action));
    }),
  );
  ctx.onLeave(
    ctx.live.on('flag', () => refresh()), // a new flag may be one more reason of an IP already counted
  );
  ctx.onLeave(ctx.live.on('block', () => refresh()));
  ctx.onLeave(ctx.live.on('unblock', () => refresh()));
  const tick = setInterval(() => {
    if (range?.live) void load();
  }, 60_000);
  ctx.onLeave(() => clearInterval(tick));

  void load();
};
