/**
 * The dashboard's four charts as one unit: built into their cards, fed the latest stats, and
 * rebuilt in the new colours when the theme changes.
 */

import { errorMessage } from '../api.js';
import { createStatusCodesChart, type StatusCodesChart } from '../charts/status-codes.js';
import { createTimelineChart, type TimelineChart } from '../charts/timeline.js';
import { createTopCountriesChart, type TopCountriesChart } from '../charts/top-countries.js';
import { createWorldMap, type WorldMap } from '../charts/world-map.js';
import { h } from '../dom.js';
import { THEME_EVENT } from '../theme.js';
import type { AxisLabels, Slot } from '../time-range.js';
import type { CountryCount } from '../types.js';

export interface ChartData {
  slots: Slot[];
  labels: AxisLabels;
  countries: CountryCount[];
  topCountries: CountryCount[];
  statusCodes: Record<string, number>;
}

/** A titled card holding a canvas; the container's `data-testid` names the chart for tests. */
export function chartCard(
  testid: string,
  title: string,
  label: string,
  extraClass = '',
): {
  card: HTMLElement;
  canvas: HTMLCanvasElement;
  note: HTMLElement;
} {
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': label } });
  const note = h('p', { class: 'chart-note muted small' });
  const card = h(
    'section',
    { class: `card chart-card ${extraClass}`.trim(), data: { testid } },
    h('h2', { class: 'card-title' }, title),
    h('div', { class: 'chart-box' }, canvas),
    note,
  );
  return { card, canvas, note };
}

export interface DashboardCharts {
  timeline: ReturnType<typeof chartCard>;
  map: ReturnType<typeof chartCard>;
  countries: ReturnType<typeof chartCard>;
  status: ReturnType<typeof chartCard>;
  /** Draws `data` (creating the charts on first use). */
  show(data: ChartData): void;
  /** Redraws the timeline alone (live updates). */
  showTimeline(slots: Slot[], labels: AxisLabels): void;
  destroy(): void;
}

export function createDashboardCharts(): DashboardCharts {
  const cards = {
    timeline: chartCard('chart-timeline', 'Requests over time', 'Requests over time', 'span-3'),
    map: chartCard('chart-world-map', 'Requests by country', 'World map of requests by country', 'span-2'),
    countries: chartCard('chart-top-countries', 'Top countries', 'Top countries by requests'),
    status: chartCard('chart-status-codes', 'Status codes', 'Status codes answered'),
  };
  let timeline: TimelineChart | undefined;
  let countries: TopCountriesChart | undefined;
  let status: StatusCodesChart | undefined;
  let map: Promise<WorldMap | undefined> | undefined;
  let last: ChartData | undefined;

  const build = () => {
    timeline = createTimelineChart(cards.timeline.card, cards.timeline.canvas);
    countries = createTopCountriesChart(cards.countries.card, cards.countries.canvas);
    status = createStatusCodesChart(cards.status.card, cards.status.canvas);
    map = createWorldMap(cards.map.card, cards.map.canvas, cards.map.note).catch((error: unknown) => {
      console.error('ipwarden: the world map failed', error);
      cards.map.note.textContent = `World map unavailable: ${errorMessage(error)}`;
      return undefined;
    });
  };
  const teardown = () => {
    timeline?.destroy();
    countries?.destroy();
    status?.destroy();
    const pending = map;
    void pending?.then((m) => m?.destroy());
    timeline = countries = status = map = undefined;
  };
  const draw = (data: ChartData) => {
    if (timeline === undefined) build();
    timeline?.update(data.slots, data.labels);
    countries?.update(data.topCountries);
    status?.update(data.statusCodes);
    const pending = map;
    void pending?.then((m) => {
      if (pending === map) m?.update(data.countries);
    });
  };
  const onTheme = () => {
    if (last === undefined) return;
    teardown();
    draw(last);
  };
  window.addEventListener(THEME_EVENT, onTheme);

  return {
    ...cards,
    show(data) {
      last = data;
      draw(data);
      cards.countries.note.textContent =
        data.topCountries.length === 0 ? 'No geolocated requests in this range.' : '';
      const answered = Object.values(data.statusCodes).some((count) => count > 0);
      cards.status.note.textContent = answered ? '' : 'No responses in this range.';
    },
    showTimeline(slots, labels) {
      if (last !== undefined) last = { ...last, slots, labels };
      timeline?.update(slots, labels);
    },
    destroy() {
      window.removeEventListener(THEME_EVENT, onTheme);
      teardown();
    },
  };
}
