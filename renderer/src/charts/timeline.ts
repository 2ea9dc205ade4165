/** Requests over time: stacked bars of allowed, rate-limited and blocked requests per bucket. */
import type { Chart } from 'chart.js';
import { formatAxisTime, formatNumber } from '../format.js';
import type { AxisLabels, Slot } from '../time-range.js';
import { markRendered, palette, registerCharts } from './setup.js';

export interface TimelineChart {
  /** Redraws with these buckets, labelled as `labels` says. */
  update(slots: readonly Slot[], labels: AxisLabels): void;
  destroy(): void;
}

function describe(slots: readonly Slot[]): string {
  const sum = (key: 'allowed' | 'blocked' | 'rateLimited') =>
    slots.reduce((total, slot) => total + slot[key], 0);
  return (
    `Requests over time, ${slots.length} bars: ${formatNumber(sum('allowed'))} allowed, ` +
    `${formatNumber(sum('rateLimited'))} rate-limited, ${formatNumber(sum('blocked'))} blocked`
  );
}

export function createTimelineChart(container: HTMLElement, canvas: HTMLCanvasElement): TimelineChart {
  const ChartJs = registerCharts();
  const colors = palette();
  const chart: Chart<'bar', number[], string> = new ChartJs(canvas, {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'Allowed', data: [], backgroundColor: colors.allowed, stack: 'requests' },
        { label: 'Rate-limited', data: [], backgroundColor: colors.rateLimited, stack: 'requests' },
        { label: 'Blocked', data: [], backgroundColor: colors.blocked, stack: 'requests' },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 16 } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } },
        tooltip: {
          callbacks: { label: (item) => `${item.dataset.label}: ${formatNumber(Number(item.raw))}` },
        },
      },
      datasets: { bar: { categoryPercentage: 0.9, barPercentage: 1 } },
    },
  });
  return {
    update(slots, labels) {
      chart.data.labels = slots.map((slot) => formatAxisTime(slot.t, labels));
      const [allowed, rateLimited, blocked] = chart.data.datasets;
      if (allowed) allowed.data = slots.map((slot) => slot.allowed);
      if (rateLimited) rateLimited.data = slots.map((slot) => slot.rateLimited);
      if (blocked) blocked.data = slots.map((slot) => slot.blocked);
      chart.update('none');
      canvas.setAttribute('aria-label', describe(slots));
      markRendered(container);
    },
    destroy() {
      chart.destroy();
    },
  };
}
