/** Register-index bits: 2^14 registers (16 KiB), standard error 1.04/√16384 ≈ 0.8%. */
const P = 14;
const M = 1 << P;
/** Bias-correction constant α_m for m ≥ 128 (Flajolet et al. 2007). */
const ALPHA = 0.7213 / (1 + 1.079 / M);

/**
 * Estimates the number of distinct strings (client IPs) in 16 KiB whatever their number: a
 * HyperLogLog (Flajolet, Fusy, Gandouet & Meunier 2007, with the linear-counting correction for
 * small counts), standard error about 0.8%. Mergeable, so hourly rollups combine into a day's count.
 * Callers that can count exactly while the numbers are small (see RequestStatsAccumulator) do so.
 */
export class DistinctCounter {
  readonly #registers = new Uint8Array(M);

  /** Counts `value` once, however often it is added. */
  add(value: string): void {
    const hash = hash32(value);
    const index = hash >>> (32 - P);
    const rank = Math.min(Math.clz32((hash << P) | (1 << (P - 1))) + 1, 32 - P + 1);
    if (rank > (this.#registers[index] as number)) this.#registers[index] = rank;
  }

  /** Adds everything `other` counted. */
  merge(other: DistinctCounter): void {
    const mine = this.#registers;
    const theirs = other.#registers;
    for (let i = 0; i < M; i++)
      if ((theirs[i] as number) > (mine[i] as number)) mine[i] = theirs[i] as number;
  }

  /** The estimated number of distinct values added, rounded. */
  count(): number {
    let sum = 0;
    let zeros = 0;
    for (const register of this.#registers) {
      sum += 2 ** -register;
      if (register === 0) zeros++;
    }
    const raw = (ALPHA * M * M) / sum;
    // Small range: linear counting is more accurate while some registers are still empty.
    if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(raw);
  }
}

/** FNV-1a over UTF-16 code units, finished with MurmurHash3's fmix32 so every bit avalanches. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
