import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpFeatureAccumulator } from '../../../server/detection/ip-features.js';
import {
  averagePathLength,
  fitIsolationForest,
  type IsolationForest,
  outliers,
} from '../../../server/detection/isolation-forest.js';
import type { AccessRecord } from '../../../server/store/index.js';
import { record } from '../../helpers/records.js';
import { gaussianCloud, seededRandom } from './seeded-random.js';

const scoresOf = (forest: IsolationForest, points: readonly number[][]) => points.map((p) => forest.score(p));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

describe('averagePathLength c(n)', () => {
  it('matches the paper: 0 below 2, 1 at 2, 2H(n−1) − 2(n−1)/n above', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(3)).toBeCloseTo(2 * (Math.log(2) + 0.5772156649) - 4 / 3, 12);
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 4);
  });
});

describe('fitIsolationForest on a gaussian cloud with one far point', () => {
  const cloud = gaussianCloud(1000, 7);
  const points = [...cloud, [8, -8]];
  const scores = scoresOf(fitIsolationForest(points, { seed: 42 }), points);

  it('gives the far point the highest score, above 0.6, while the typical point stays below 0.55', () => {
    const top = Math.max(...scores);
    expect(scores.at(-1)).toBe(top);
    expect(top).toBeGreaterThan(0.6);
    expect(median(scores.slice(0, -1))).toBeLessThan(0.55);
  });

  it('keeps every score in (0, 1]', () => {
    for (const s of scores) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic for a seed, and a different seed gives close but different scores', () => {
    const again = scoresOf(fitIsolationForest(points, { seed: 42 }), points);
    expect(again).toEqual(scores);
    const other = scoresOf(fitIsolationForest(points, { seed: 43 }), points);
    expect(other).not.toEqual(scores);
    const diffs = other.map((s, i) => Math.abs(s - (scores[i] as number)));
    expect(Math.max(...diffs)).toBeLessThan(0.1);
    expect(diffs.reduce((a, b) => a + b) / diffs.length).toBeLessThan(0.02);
  });

  it('scores unseen points too: the centre low, a far point high', () => {
    const forest = fitIsolationForest(cloud, { seed: 1 });
    expect(forest.score([0, 0])).toBeLessThan(0.5);
    expect(forest.score([-9, 9])).toBeGreaterThan(0.65);
  });

  it('reports its shape, with ψ capped at the number of points', () => {
    const forest = fitIsolationForest(cloud.slice(0, 100), { trees: 10 });
    expect(forest).toMatchObject({ trees: 10, sampleSize: 100, dimensions: 2 });
  });
});

describe('fitIsolationForest on degenerate input', () => {
  it('scores everything 0.5 when there are fewer than 2 points', () => {
    expect(fitIsolationForest([]).score([1, 2, 3])).toBe(0.5);
    const one = fitIsolationForest([[4, 5]]);
    expect(one.score([4, 5])).toBe(0.5);
    expect(one.score([400, -5])).toBe(0.5);
  });

  it('scores everything 0.5 when all points are identical: nothing can be isolated', () => {
    const same = Array.from({ length: 50 }, () => [3, 3, 3]);
    const forest = fitIsolationForest(same, { seed: 9 });
    for (const s of scoresOf(forest, same)) expect(s).toBeCloseTo(0.5, 12);
    expect(forest.score([99, 99, 99])).toBeCloseTo(0.5, 12);
  });

  it('never splits on a constant feature: adding one leaves the scores unchanged', () => {
    const xs = gaussianCloud(300, 3).map(([x]) => x as number);
    xs.push(12);
    const alone = scoresOf(
      fitIsolationForest(
        xs.map((x) => [x]),
        { seed: 5 },
      ),
      xs.map((x) => [x]),
    );
    const withConstant = scoresOf(
      fitIsolationForest(
        xs.map((x) => [x, 7]),
        { seed: 5 },
      ),
      xs.map((x) => [x, 7]),
    );
    expect(withConstant).toEqual(alone);
    expect(Math.max(...alone)).toBe(alone.at(-1));
  });

  it('handles two distinct points', () => {
    const forest = fitIsolationForest([
      [0, 0],
      [1, 1],
    ]);
    expect(forest.score([0, 0])).toBe(0.5);
    expect(forest.score([1, 1])).toBe(0.5);
  });

  it('rejects NaN and Infinity with a RangeError naming the index', () => {
    expect(() =>
      fitIsolationForest([
        [1, 2],
        [3, 4],
        [5, Number.NaN],
      ]),
    ).toThrow(new RangeError('points[2][1] is NaN, expected a finite number'));
    expect(() => fitIsolationForest([[1], [Number.POSITIVE_INFINITY]])).toThrow(
      /points\[1\]\[0\] is Infinity/,
    );
    const forest = fitIsolationForest(gaussianCloud(20, 1));
    expect(() => forest.score([0, Number.NEGATIVE_INFINITY])).toThrow(/point\[1\] is -Infinity/);
  });

  it('rejects ragged rows, empty rows and points of the wrong length', () => {
    expect(() => fitIsolationForest([[1, 2], [3]])).toThrow(/points\[1\] has 1 features, expected 2/);
    expect(() => fitIsolationForest([[], []])).toThrow(/points\[0\] has no features/);
    expect(() => fitIsolationForest(gaussianCloud(20, 1)).score([1, 2, 3])).toThrow(RangeError);
  });

  it('rejects bad options, naming them', () => {
    const points = gaussianCloud(10, 1);
    expect(() => fitIsolationForest(points, { trees: 0 })).toThrow(/^trees must be/);
    expect(() => fitIsolationForest(points, { sampleSize: 1 })).toThrow(/^sampleSize must be/);
    expect(() => fitIsolationForest(points, { seed: 1.5 })).toThrow(/^seed must be/);
  });
});

describe('fitIsolationForest properties', () => {
  // Tiny magnitudes are flushed to 0: scaled down further they would turn subnormal and lose bits.
  const coordinate = fc
    .double({ min: -1e6, max: 1e6, noNaN: true })
    .map((x) => (Math.abs(x) < 1e-200 ? 0 : x));
  const cloudArb = fc.array(fc.tuple(coordinate, fc.integer({ min: -50, max: 50 })), {
    minLength: 2,
    maxLength: 60,
  });

  it('is invariant to rescaling a feature (by a power of two, so the arithmetic stays exact)', () => {
    fc.assert(
      fc.property(cloudArb, fc.integer({ min: -8, max: 8 }), fc.integer(), (rows, k, seed) => {
        const points = rows.map(([x, y]) => [x, y]);
        const scaled = rows.map(([x, y]) => [x * 2 ** k, y]);
        const a = scoresOf(fitIsolationForest(points, { seed, trees: 8 }), points);
        const b = scoresOf(fitIsolationForest(scaled, { seed, trees: 8 }), scaled);
        expect(b).toEqual(a);
      }),
    );
  });

  it('keeps scores in (0, 1] for any finite input', () => {
    fc.assert(
      fc.property(cloudArb, fc.integer(), (rows, seed) => {
        const points = rows.map(([x, y]) => [x, y]);
        for (const s of scoresOf(fitIsolationForest(points, { seed, trees: 8, sampleSize: 16 }), points)) {
          expect(s).toBeGreaterThan(0);
          expect(s).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});

describe('outliers', () => {
  const points = [...gaussianCloud(500, 11), [9, 9], [-10, 7]];

  it('returns the points above the threshold, highest score first, with their index', () => {
    const found = outliers(points, { seed: 3 });
    expect(
      found
        .map((o) => o.index)
        .slice(0, 2)
        .sort(),
    ).toEqual([500, 501]);
    expect(found.every((o) => o.score >= 0.6)).toBe(true);
    const scores = found.map((o) => o.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('caps the result at ⌈contamination × n⌉ points', () => {
    const found = outliers(points, { seed: 3, threshold: 0, contamination: 0.002 });
    expect(found.map((o) => o.index).sort()).toEqual([500, 501]);
    expect(outliers(points, { seed: 3, threshold: 0, contamination: 0.1 })).toHaveLength(51);
  });

  it('finds nothing in a plain cloud at a high threshold', () => {
    expect(outliers(gaussianCloud(500, 12), { threshold: 0.75 })).toEqual([]);
  });

  it('rejects a threshold or contamination out of range', () => {
    expect(() => outliers(points, { threshold: 1.5 })).toThrow(/^threshold must be/);
    expect(() => outliers(points, { contamination: 0 })).toThrow(/^contamination must be/);
    expect(() => outliers(points, { contamination: 0.6 })).toThrow(/^contamination must be/);
  });
});

describe('Isolation Forest over per-IP features of one hour', () => {
  const T0 = Date.parse('2026-03-01T10:00:00Z');
  const isSensitive = (path: string) => path.startsWith('/.') || path.startsWith('/wp-config');
  const random = seededRandom(2008);
  const records: AccessRecord[] = [];
  const pages = [
    '/',
    '/about',
    '/blog',
    '/blog/post-1',
    '/blog/post-2',
    '/contact',
    '/pricing',
    '/docs',
    '/docs/start',
  ];

  // 500 ordinary visitors: 10–30 requests 30–300 s apart, the odd 404, one or two browsers.
  for (let i = 0; i < 500; i++) {
    const ip = `203.0.${i >> 8}.${i & 255}`;
    const requests = Math.floor(random.between(10, 31));
    const agents = random.uniform() < 0.3 ? ['Firefox/140.0', 'Mobile Safari/18.0'] : ['Chrome/141.0'];
    let t = T0 + random.between(0, 600_000);
    for (let r = 0; r < requests; r++) {
      const path = pages[Math.floor(random.uniform() * pages.length)] as string;
      const status = random.uniform() < 0.03 ? 404 : 200;
      records.push(record(ip, t, { path, status, ua: agents[r % agents.length] }));
      t += random.between(30_000, 300_000);
    }
  }
  // One scanner: 300 requests 0.5 s apart, 290 distinct paths, 80 % 404, 40 sensitive paths, one agent.
  for (let r = 0; r < 300; r++) {
    const path = r < 40 ? `/.env.${r}` : r < 290 ? `/probe/${r}` : '/';
    records.push(
      record('198.51.100.66', T0 + r * 500, { path, status: r < 240 ? 404 : 200, ua: 'zgrab/0.x' }),
    );
  }

  it('ranks the scanner as the top outlier', () => {
    const features = new IpFeatureAccumulator();
    for (const r of records) features.add(r, isSensitive);
    const rows = features.features();
    expect(rows).toHaveLength(501);
    const forest = fitIsolationForest(
      rows.map((r) => r.vector),
      { seed: 1 },
    );
    const ranked = rows
      .map((r) => ({ ip: r.ip, score: forest.score(r.vector) }))
      .sort((a, b) => b.score - a.score);
    expect(ranked[0]?.ip).toBe('198.51.100.66');
    expect(ranked[0]?.score).toBeGreaterThan(0.7);
    expect(median(ranked.map((r) => r.score))).toBeLessThan(0.55);
  });
});
