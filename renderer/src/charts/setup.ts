/**
 * Chart.js, registered once with only the parts the dashboard draws (so the bundle stays small),
 * and the theme's colours, read from CSS custom properties so charts match light and dark themes.
 */
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
} from 'chart.js';
import { ChoroplethController, ColorLogarithmicScale, GeoFeature, ProjectionScale } from 'chartjs-chart-geo';

let registered = false;

/** Registers the controllers, elements, scales and plugins the dashboard uses. */
export function registerCharts(): typeof Chart {
  if (!registered) {
    Chart.register(
      BarController,
      BarElement,
      CategoryScale,
      LinearScale,
      DoughnutController,
      ArcElement,
      Legend,
      Tooltip,
      ChoroplethController,
      GeoFeature,
      ProjectionScale,
      ColorLogarithmicScale,
    );
    registered = true;
  }
  applyThemeDefaults();
  return Chart;
}

/** The colours charts use, from `styles.css`. */
export interface Palette {
  allowed: string;
  blocked: string;
  rateLimited: string;
  text: string;
  muted: string;
  grid: string;
  surface: string;
  mapEmpty: string;
  mapBorder: string;
  accent: string;
  status: { ok: string; info: string; warning: string; danger: string };
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

/** The current theme's palette (read fresh each call: the theme may have changed). */
export function palette(): Palette {
  return {
    allowed: cssVar('--chart-allowed', '#3b82f6'),
    blocked: cssVar('--chart-blocked', '#ef4444'),
    rateLimited: cssVar('--chart-rate-limited', '#f59e0b'),
    text: cssVar('--text', '#1f2937'),
    muted: cssVar('--text-muted', '#6b7280'),
    grid: cssVar('--border', '#e5e7eb'),
    surface: cssVar('--surface', '#ffffff'),
    mapEmpty: cssVar('--map-empty', '#e5e7eb'),
    mapBorder: cssVar('--map-border', '#ffffff'),
    accent: cssVar('--accent', '#2563eb'),
    status: {
      ok: cssVar('--ok', '#16a34a'),
      info: cssVar('--info', '#0891b2'),
      warning: cssVar('--warning', '#d97706'),
      danger: cssVar('--danger', '#dc2626'),
    },
  };
}

/** Sets Chart.js's global text and grid colours and font from the current theme. */
export function applyThemeDefaults(): void {
  const colors = palette();
  Chart.defaults.color = colors.muted;
  Chart.defaults.borderColor = colors.grid;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.plugins.tooltip.backgroundColor = colors.text;
  Chart.defaults.plugins.tooltip.titleColor = colors.surface;
  Chart.defaults.plugins.tooltip.bodyColor = colors.surface;
}

/**
 * Marks a chart's container as drawn (`data-rendered="true"`) once Chart.js has painted, so tests
 * and screen readers know the chart is current.
 */
export function markRendered(container: HTMLElement): void {
  requestAnimationFrame(() => {
    container.dataset.rendered = 'true';
  });
}
