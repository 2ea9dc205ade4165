/**
 * The trees of an Isolation Forest (see isolation-forest.ts) in flat typed arrays: growing them
 * on ψ-subsamples and walking a point down every one. Liu, Ting & Zhou, ICDM 2008; c(n) from
 * "Isolation-Based Anomaly Detection", ACM TKDD 6(1), 2012.
 */

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
 * All trees, nodes in preorder (left child = node + 1). Node i splits on feature `link[2i]` at
 * `split[i]`: x < split goes left, else to `link[2i + 1]`. An external node has split −∞ and
 * right child itself, so a walk of exactly heightLimit steps ends on it; `pathLength[i]` is then
 * its e + c(size).
 */
export interface FlatForest {
  nodesPerTree: number;
  heightLimit: number;
  split: Float64Array;
  link: Int32Array;
  pathLength: Float64Array;
}

/** E[h(x)]: the mean over the trees of the path length of `point`. */
export function meanPathLength(forest: FlatForest, trees: number, point: readonly number[]): number {
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

/**
 * Grows `trees` trees, each on ψ points of `data` (n rows of d features, row-major) drawn without
 * replacement with `random`, up to height ⌈log2 ψ⌉.
 */
export function growForest(
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
