/**
 * Isolation Forest after Liu, Ting & Zhou, "Isolation Forest", ICDM 2008 (and the extended
 * "Isolation-Based Anomaly Detection", ACM TKDD 6(1), 2012, for c(2) = 1). Anomalies are few and
 * different, so random axis-parallel splits isolate them in fewer steps than normal points: the
 * score is 2^(−E[h(x)] / c(ψ)), near 1 for anomalies and at or below 0.5 for normal points.
 *
 * Own implementation rather than an npm package: the two on the registry (`isolation-forest`
 * 0.0.9, `ml-isolation-forest` 0.1.0) use unseeded `Math.random` and grow every tree on the whole
 * data set instead of a ψ-subsample; the latter also gets c(n) wrong (Euler's constant not doubled).
 */

import { averagePathLength, growForest, meanPathLength } from './isolation-trees.js';

export { averagePathLength };

/** Tuning knobs; the defaults are the paper's (t = 100 trees, ψ = 256). */
export interface IsolationForestOptions {
  /** Number of isolation trees t. Default 100. */
  trees?: number;
  /** Subsample size ψ drawn without replacement for each tree; capped at the number of points. Default 256. */
  sampleSize?: number;
  /** Seed of the PRNG (mulberry32, folded to 32 bits): the same seed and points give the same scores. Default 1. */
  seed?: number;
}

/** A fitted forest. Scoring is read-only and cheap: t tree walks of ⌈log2 ψ⌉ steps each. */
export interface IsolationForest {
  readonly trees: number;
  /** The ψ actually used: min(sampleSize, number of points). */
  readonly sampleSize: number;
  /** Features per point; `score` rejects points of another length (0 when fitted on no points). */
  readonly dimensions: number;
  /**
   * Anomaly score s(x, ψ) in (0, 1]: above ~0.6 stands out, ≤ 0.5 is ordinary. 0.5 for every
   * point when the forest could isolate nothing (fewer than 2 points, or all points identical).
   * @throws RangeError when the point has the wrong length or a non-finite feature.
   */
  score(point: readonly number[]): number;
}

/**
 * Fits an Isolation Forest to `points` (rows of equal length). Each tree is grown on ψ points
 * sampled without replacement, up to height ⌈log2 ψ⌉; a node splits on a feature chosen uniformly
 * among those not constant in the node, at a value uniform between the node's min and max.
 * Trees live in flat typed arrays, so 50,000 points × 6 features fit and score in well under a second.
 * @throws RangeError naming the option, or the index of a ragged row or non-finite value.
 */
export function fitIsolationForest(
  points: readonly (readonly number[])[],
  options: IsolationForestOptions = {},
): IsolationForest {
  const { trees, sampleSize, seed } = checkOptions(options);
  const { data, dimensions } = flatten(points);
  const psi = Math.min(sampleSize, points.length);
  const cPsi = averagePathLength(psi);
  if (cPsi === 0) return constantForest(trees, psi, dimensions);

  const forest = growForest(data, points.length, dimensions, trees, psi, mulberry32(seed));
  return {
    trees,
    sampleSize: psi,
    dimensions,
    score(point) {
      checkPoint(point, dimensions);
      return 2 ** -(meanPathLength(forest, trees, point) / cPsi);
    },
  };
}

/** Options of {@link outliers}: the forest's, plus which scores count as outliers. */
export interface OutlierOptions extends IsolationForestOptions {
  /** Minimum score to report, in [0, 1]. Default 0.6. */
  threshold?: number;
  /**
   * Expected share of outliers, in (0, 0.5]. When given, at most ⌈contamination × n⌉ of the
   * highest-scoring points are reported, and they must still reach `threshold` (pass
   * `threshold: 0` to rank by contamination alone).
   */
  contamination?: number;
}

export interface Outlier {
  /** Index into the `points` given. */
  index: number;
  score: number;
}

/**
 * Fits a forest to `points` and returns those that stand out, highest score first (ties by index).
 * @throws RangeError as {@link fitIsolationForest}, or naming `threshold` / `contamination`.
 */
export function outliers(points: readonly (readonly number[])[], options: OutlierOptions = {}): Outlier[] {
  const { threshold = 0.6, contamination, ...forestOptions } = options;
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new RangeError(`threshold must be a number in [0, 1], got ${threshold}`);
  }
  if (contamination !== undefined && !(contamination > 0 && contamination <= 0.5)) {
    throw new RangeError(`contamination must be a number in (0, 0.5], got ${contamination}`);
  }
  const forest = fitIsolationForest(points, forestOptions);
  const found = points
    .map((point, index) => ({ index, score: forest.score(point) }))
    .filter((o) => o.score >= threshold)
    .sort((a, b) => b.score - a.score || a.index - b.index);
  return contamination === undefined ? found : found.slice(0, Math.ceil(contamination * points.length));
}

function constantForest(trees: number, psi: number, dimensions: number): IsolationForest {
  return {
    trees,
    sampleSize: psi,
    dimensions,
    score(point) {
      checkPoint(point, dimensions);
      return 0.5;
    },
  };
}

function checkOptions(options: IsolationForestOptions): Required<IsolationForestOptions> {
  const { trees = 100, sampleSize = 256, seed = 1 } = options;
  if (!Number.isInteger(trees) || trees < 1)
    throw new RangeError(`trees must be an integer ≥ 1, got ${trees}`);
  if (!Number.isInteger(sampleSize) || sampleSize < 2) {
    throw new RangeError(`sampleSize must be an integer ≥ 2, got ${sampleSize}`);
  }
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  return { trees, sampleSize, seed };
}

/** Validates the rows and copies them row-major into one typed array. */
function flatten(points: readonly (readonly number[])[]): { data: Float64Array; dimensions: number } {
  const dimensions = points[0]?.length ?? 0;
  if (points.length > 0 && dimensions === 0) throw new RangeError('points[0] has no features');
  const data = new Float64Array(points.length * dimensions);
  for (const [i, point] of points.entries()) {
    if (point.length !== dimensions) {
      throw new RangeError(
        `points[${i}] has ${point.length} features, expected ${dimensions} like points[0]`,
      );
    }
    for (let f = 0; f < dimensions; f++) {
      const x = point[f] as number;
      if (!Number.isFinite(x)) throw new RangeError(`points[${i}][${f}] is ${x}, expected a finite number`);
      data[i * dimensions + f] = x;
    }
  }
  return { data, dimensions };
}

function checkPoint(point: readonly number[], dimensions: number): void {
  if (dimensions > 0 && point.length !== dimensions) {
    throw new RangeError(`point has ${point.length} features, expected ${dimensions}`);
  }
  for (let f = 0; f < point.length; f++) {
    const x = point[f] as number;
    if (!Number.isFinite(x)) throw new RangeError(`point[${f}] is ${x}, expected a finite number`);
  }
}

/** mulberry32 (Tommy Ettinger, public domain): a small, fast 32-bit PRNG; uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
