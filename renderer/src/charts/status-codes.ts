/** The mix of HTTP status codes answered, as a doughnut; colours follow the status class. */
import type { Chart } from 'chart.js';
import { color } from 'chart.js/helpers';
import { formatNumber, formatPercent } from '../format.js';
import { markRendered, type Palette, palette, registerCharts } from './setup.js';

export interface StatusCodesChart {
  update(statusCodes: Readonly<Record<string, number>>): void;
  destroy(): void;
}

/** Slices shown before the rest is folded into "other". */
const MAX_SLICES = 8;

/** Shades per class so neighbouring codes of one class stay apart. */
function colorFor(code: string, index: number, colors: Palette): string {
  const base = code.startsWith('5')
    ? colors.status.danger
    : code.startsWith('4')
      ? colors.status.warning
      : code.startsWith('3')
        ? colors.status.info
        : code.startsWith('2')
          ? colors.status.ok
          : colors.muted;
  const alpha = [1, 0.75, 0.55, 0.4][index % 4] ?? 1;
  return alpha === 1 ? base : color(base).alpha(alpha).rgbString();
}

/** The slices: the largest codes, then "other"; sorted by code so classes sit together. */
export function statusSlices(statusCodes: Readonly<Record<string, number>>): [string, number][] {
  const entries = Object.entries(statusCodes).sort((a, b) => b[1] - a[1]);
  const top = entries.slice(0, MAX_SLICES).sort((a, b) => a[0].localeCompare(b[0]));
  const rest = entries.slice(MAX_SLICES).reduce((sum, [, count]) => sum + count, 0);
  return rest > 0 ? [...top, ['other', rest]] : top;
}

export function createStatusCodesChart(container: HTMLElement, canvas: HTMLCanvasElement): StatusCodesChart {
  const ChartJs = registerCharts();
  const chart: Chart<'doughnut', number[], string> = new ChartJs(canvas, {
    type: 'doughnut',
    data: { labels: [], datasets: [{ data: [], backgroundColor: [], borderColor: palette().surface }] },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      cutout: '62%',
      plugins: {
        legend: { position: 'right', labels: { boxWidth: 12, boxHeight: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const total = (item.dataset.data as number[]).reduce((sum, n) => sum + n, 0);
              const value = Number(item.raw);
              return `${formatNumber(value)} (${formatPercent(total === 0 ? 0 : value / total)})`;
            },
          },
        },
      },
    },
  });
  return {
    update(statusCodes) {
      const slices = statusSlices(statusCodes);
      const colors = palette();
      // Within a status class, the largest slice gets the full colour and smaller ones lighter shades.
      const shade = new Map<string, number>();
      const perClass = new Map<string, number>();
      for (const [code] of [...slices].sort((a, b) => b[1] - a[1])) {
        const index = perClass.get(code[0] ?? '') ?? 0;
        perClass.set(code[0] ?? '', index + 1);
        shade.set(code, index);
      }
      chart.data.labels = slices.map(([code]) => code);
      const [dataset] = chart.data.datasets;
      if (dataset) {
        dataset.data = slices.map(([, count]) => count);
        dataset.backgroundColor = slices.map(([code]) => colorFor(code, shade.get(code) ?? 0, colors));
      }
      chart.update('none');
      const list = slices.map(([code, count]) => `${code}: ${formatNumber(count)}`).join(', ');
      canvas.setAttribute('aria-label', `Status codes: ${list || 'none'}`);
      markRendered(container);
    },
    destroy() {
      chart.destroy();
    },
  };
}
