/** Test data generators on a seeded PRNG (mulberry32), so every test sees the same numbers. */
export function seededRandom(seed: number): {
  uniform(): number;
  between(lo: number, hi: number): number;
  gaussian(): number;
} {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    between: (lo, hi) => lo + uniform() * (hi - lo),
    // Box–Muller: a standard normal from two uniforms.
    gaussian: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

/** `n` points of a 2-D standard normal cloud around the origin. */
export function gaussianCloud(n: number, seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => [random.gaussian(), random.gaussian()]);
}
