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

const EULER_GAMMA = 0.5772156649;

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree of n points,
 * which normalises path lengths: 2H(n−1) − 2(n−1)/n with H(i) ≈ ln(i) + γ for n > 2, 1 for
 * n = 2, 0 below.
 */
export function averagePathLength(n: number): number {
  if (n > 2) return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
  return n === 2 ? 1 : 0;
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

/**
 * All trees, nodes in preorder (left child = node + 1). Node i splits on feature `link[2i]` at
 * `split[i]`: x < split goes left, else to `link[2i + 1]`. An external node has split −∞ and
 * right child itself, so a walk of exactly heightLimit steps ends on it; `pathLength[i]` is then
 * its e + c(size).
 */
interface FlatForest {
  nodesPerTree: number;
  heightLimit: number;
  split: Float64Array;
  link: Int32Array;
  pathLength: Float64Array;
}

/** E[h(x)]: the mean over the trees of the path length of `point`. */
function meanPathLength(forest: FlatForest, trees: number, point: readonly number[]): number {
  const { nodesPerTree, heightLimit, pathLength } = forest;
  let total = 0;
  let t = 0;
  // Four walks interleaved: a step is a chain of dependent loads, so independent walks side by
  // side run about twice as fast as one after another.
  for (; t + 4 <= trees; t += 4) {
    let a = t * nodesPerTree;
    let b = a + nodesPerTree;
    let c = b + nodesPerTree;
    let d = c + nodesPerTree;
    for (let h = 0; h < heightLimit; h++) {
      a = step(forest, point, a);
      b = step(forest, point, b);
      c = step(forest, point, c);
      d = step(forest, point, d);
    }
    total +=
      (pathLength[a] as number) +
      (pathLength[b] as number) +
      (pathLength[c] as number) +
      (pathLength[d] as number);
  }
  for (; t < trees; t++) {
    let a = t * nodesPerTree;
    for (let h = 0; h < heightLimit; h++) a = step(forest, point, a);
    total += pathLength[a] as number;
  }
  return total / trees;
}

/** One step of a walk, without a data-dependent branch: x < split goes to node + 1, else right. */
function step({ split, link }: FlatForest, point: readonly number[], node: number): number {
  const goRight = +((point[link[2 * node] as number] as number) >= (split[node] as number));
  return node + 1 + goRight * ((link[2 * node + 1] as number) - node - 1);
}

function growForest(
  data: Float64Array,
  n: number,
  d: number,
  trees: number,
  psi: number,
  random: () => number,
): FlatForest {
  const heightLimit = Math.ceil(Math.log2(psi));
  // Both children of a split are non-empty, so a tree on ψ points has at most 2ψ − 1 nodes.
  const nodesPerTree = 2 * psi - 1;
  const split = new Float64Array(trees * nodesPerTree);
  const link = new Int32Array(trees * nodesPerTree * 2);
  const pathLength = new Float64Array(trees * nodesPerTree);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  const sample = new Int32Array(psi);
  const min = new Float64Array(d);
  const max = new Float64Array(d);
  const candidates = new Int32Array(d);

  // Grows the subtree over sample[lo, hi) at `node`; returns the next free node index.
  const grow = (lo: number, hi: number, depth: number, node: number): number => {
    const size = hi - lo;
    const leaf = () => {
      split[node] = Number.NEGATIVE_INFINITY;
      link[2 * node] = 0;
      link[2 * node + 1] = node;
      pathLength[node] = depth + averagePathLength(size);
      return node + 1;
    };
    if (depth >= heightLimit || size <= 1) return leaf();
    min.fill(Number.POSITIVE_INFINITY);
    max.fill(Number.NEGATIVE_INFINITY);
    for (let i = lo; i < hi; i++) {
      const row = (sample[i] as number) * d;
      for (let f = 0; f < d; f++) {
        const x = data[row + f] as number;
        if (x < (min[f] as number)) min[f] = x;
        if (x > (max[f] as number)) max[f] = x;
      }
    }
    let count = 0;
    for (let f = 0; f < d; f++) if ((max[f] as number) > (min[f] as number)) candidates[count++] = f;
    if (count === 0) return leaf(); // every point in the node is identical
    const q = candidates[Math.floor(random() * count)] as number;
    const qMin = min[q] as number;
    const qMax = max[q] as number;
    // p in (min, max] keeps both sides non-empty (x < p goes left); rounding can land on min.
    let p = qMax - random() * (qMax - qMin);
    if (!(p > qMin)) p = qMax;
    let mid = lo;
    for (let i = lo; i < hi; i++) {
      const s = sample[i] as number;
      if ((data[s * d + q] as number) < p) {
        sample[i] = sample[mid] as number;
        sample[mid++] = s;
      }
    }
    split[node] = p;
    link[2 * node] = q;
    const next = grow(lo, mid, depth + 1, node + 1);
    link[2 * node + 1] = next;
    return grow(mid, hi, depth + 1, next);
  };

  for (let t = 0; t < trees; t++) {
    // Partial Fisher–Yates: the first ψ slots become a uniform ψ-subset whatever the pool's order.
    for (let i = 0; i < psi; i++) {
      const j = i + Math.floor(random() * (n - i));
      const picked = pool[j] as number;
      pool[j] = pool[i] as number;
      pool[i] = picked;
      sample[i] = picked;
    }
    grow(0, psi, 0, t * nodesPerTree);
  }
  return { nodesPerTree, heightLimit, split, link, pathLength };
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
