/** The countries sending the most requests, as a horizontal bar chart. */
import type { Chart } from 'chart.js';
import { countryName, formatNumber } from '../format.js';
import type { CountryCount } from '../types.js';
import { markRendered, palette, registerCharts } from './setup.js';

export interface TopCountriesChart {
  update(countries: readonly CountryCount[]): void;
  destroy(): void;
}

/** The display name of a country count: the server's name, or the browser's name for the code. */
export function countryLabel(country: CountryCount): string {
  return country.name ?? countryName(country.code);
}

export function createTopCountriesChart(
  container: HTMLElement,
  canvas: HTMLCanvasElement,
): TopCountriesChart {
  const ChartJs = registerCharts();
  const chart: Chart<'bar', number[], string> = new ChartJs(canvas, {
    type: 'bar',
    data: {
      labels: [],
      datasets: [{ label: 'Requests', data: [], backgroundColor: palette().accent, borderRadius: 3 }],
    },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { beginAtZero: true, ticks: { precision: 0 } },
        y: { grid: { display: false } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${formatNumber(Number(item.raw))} requests` } },
      },
    },
  });
  return {
    update(countries) {
      chart.data.labels = countries.map(countryLabel);
      const [dataset] = chart.data.datasets;
      if (dataset) dataset.data = countries.map((country) => country.count);
      chart.update('none');
      const list = countries
        .map((country) => `${countryLabel(country)} ${formatNumber(country.count)}`)
        .join(', ');
      canvas.setAttribute('aria-label', `Top countries by requests: ${list || 'none'}`);
      container.dataset.countries = countries.map((country) => country.code).join(',');
      markRendered(container);
    },
    destroy() {
      chart.destroy();
    },
  };
}
