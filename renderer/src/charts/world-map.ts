/**
 * Requests by country on a world choropleth (chartjs-chart-geo over Natural Earth 1:110m from
 * world-atlas, served from our own origin). World-atlas keys countries by ISO 3166-1 numeric code;
 * our counts use alpha-2 codes, joined through {@link featureAlpha2}.
 */
import type { Chart } from 'chart.js';
import { color } from 'chart.js/helpers';
import type { Feature, GeoJsonProperties, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { featureAlpha2 } from '../country-codes.js';
import { countryName, countTick, formatNumber } from '../format.js';
import type { CountryCount } from '../types.js';
import { markRendered, palette, registerCharts } from './setup.js';

/** A map feature with the alpha-2 code it stands for (undefined for areas without one). */
export type CountryFeature = Feature<Geometry, GeoJsonProperties & { name?: string; alpha2?: string }>;

/** Antarctica has no traffic worth the space it takes on the map. */
const HIDDEN = new Set(['AQ']);

let atlas: Promise<CountryFeature[]> | undefined;

/** Loads and converts `countries-110m.json` once (copied next to index.html by the build). */
export function loadCountryFeatures(): Promise<CountryFeature[]> {
  atlas ??= fetch(new URL('countries-110m.json', document.baseURI), { credentials: 'same-origin' })
    .then((response) => {
      if (!response.ok) throw new Error(`cannot load the world map (${response.status})`);
      return response.json() as Promise<Topology<{ countries: GeometryCollection<{ name: string }> }>>;
    })
    .then((topology) => {
      const collection = feature(topology, topology.objects.countries);
      return collection.features
        .map((f): CountryFeature => {
          const alpha2 = featureAlpha2(f.id, f.properties?.name);
          return { ...f, properties: { ...f.properties, alpha2 } };
        })
        .filter((f) => !HIDDEN.has(f.properties.alpha2 ?? ''));
    })
    .catch((error: unknown) => {
      atlas = undefined; // try again next time
      throw error;
    });
  return atlas;
}

/**
 * Chart.js calls function-valued options as "scriptable" with a context object, and the geo color
 * scale's opt-out of that is lost once the scale type is changed to `colorLogarithmic`. The wrapper
 * answers that call with the interpolator itself, and interpolates when given a number.
 */
function unscripted(interpolate: (v: number) => string): (v: number) => string {
  const wrapper = (arg: unknown) => (typeof arg === 'number' ? interpolate(arg) : interpolate);
  return wrapper as (v: number) => string;
}

export interface WorldMap {
  /** Redraws with these counts; sets `data-countries` (drawn codes, by count) on the container. */
  update(countries: readonly CountryCount[]): void;
  destroy(): void;
}

/** Which counts land on the map and which do not (too small at 1:110m, or not a country). */
export function splitMapped(
  countries: readonly CountryCount[],
  mapped: ReadonlySet<string>,
): { drawn: CountryCount[]; missing: CountryCount[] } {
  const sorted = [...countries]
    .filter((c) => c.count > 0)
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  return {
    drawn: sorted.filter((c) => mapped.has(c.code.toUpperCase())),
    missing: sorted.filter((c) => !mapped.has(c.code.toUpperCase())),
  };
}

/** Draws the map into `canvas`; `note` receives the countries that are not on it. */
export async function createWorldMap(
  container: HTMLElement,
  canvas: HTMLCanvasElement,
  note: HTMLElement,
): Promise<WorldMap> {
  const features = await loadCountryFeatures();
  const ChartJs = registerCharts();
  const colors = palette();
  const low = color(colors.mapEmpty).mix(color(colors.accent), 0.8).rgbString();
  const mapped = new Set(features.map((f) => f.properties.alpha2).filter((code) => code !== undefined));
  const counts = new Map<string, number>();
  const chart: Chart<'choropleth'> = new ChartJs(canvas, {
    type: 'choropleth',
    data: {
      labels: features.map((f) =>
        f.properties.alpha2 ? countryName(f.properties.alpha2) : (f.properties.name ?? ''),
      ),
      datasets: [
        {
          label: 'Requests',
          outline: features,
          data: features.map((f) => ({ feature: f, value: Number.NaN })),
          borderColor: colors.mapBorder,
          borderWidth: 0.5,
          hoverBorderColor: colors.text,
          hoverBorderWidth: 1,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      showOutline: false,
      showGraticule: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) => {
              const code = features[item.dataIndex]?.properties.alpha2 ?? '';
              return `${item.chart.data.labels?.[item.dataIndex] ?? code}: ${formatNumber(counts.get(code) ?? 0)} requests`;
            },
          },
        },
      },
      scales: {
        projection: { axis: 'x', projection: 'equalEarth' },
        color: {
          type: 'colorLogarithmic',
          axis: 'x',
          min: 1,
          missing: colors.mapEmpty,
          interpolate: unscripted((v) =>
            color(colors.accent)
              .mix(color(low), Math.max(0, Math.min(1, v)))
              .rgbString(),
          ),
          legend: {
            position: 'bottom-left',
            align: 'right',
            length: 120,
            width: 10,
            indicatorWidth: 6,
            margin: 4,
          },
          ticks: { color: colors.muted, callback: (value) => countTick(value) },
        },
      },
    },
  });
  return {
    update(countries) {
      counts.clear();
      for (const c of countries) counts.set(c.code.toUpperCase(), c.count);
      const [dataset] = chart.data.datasets;
      if (dataset) {
        dataset.data = features.map((f) => {
          const count = counts.get(f.properties.alpha2 ?? '') ?? 0;
          return { feature: f, value: count > 0 ? count : Number.NaN };
        });
      }
      const max = Math.max(10, ...counts.values());
      const scale = chart.options.scales?.color;
      if (scale) scale.max = max;
      chart.update('none');
      const { drawn, missing } = splitMapped(countries, mapped);
      container.dataset.countries = drawn.map((c) => c.code.toUpperCase()).join(',');
      container.dataset.unmapped = missing.map((c) => c.code.toUpperCase()).join(',');
      const top = drawn
        .slice(0, 5)
        .map((c) => `${c.name ?? countryName(c.code)} ${formatNumber(c.count)}`)
        .join(', ');
      canvas.setAttribute(
        'aria-label',
        drawn.length === 0
          ? 'World map of requests by country: no geolocated requests'
          : `World map of requests by country, ${drawn.length} countries; most: ${top}`,
      );
      note.textContent =
        missing.length === 0
          ? ''
          : `Not on the map: ${missing.map((c) => `${c.name ?? countryName(c.code)} (${formatNumber(c.count)})`).join(', ')}`;
      markRendered(container);
    },
    destroy() {
      chart.destroy();
    },
  };
}
