/** What {@link measurePeakRss} saw: wall time in s, RSS in bytes. */
export interface PeakRss<T> {
  result: T;
  seconds: number;
  /** RSS just before `work` started (after a GC when run with --expose-gc). */
  baseline: number;
  /** Highest RSS sampled every 50 ms while `work` ran, and at its end. */
  peak: number;
}

/** Runs `work`, timing it and sampling the process's peak RSS; for the benches' memory figures. */
export async function measurePeakRss<T>(work: () => Promise<T>): Promise<PeakRss<T>> {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  try {
    const result = await work();
    return {
      result,
      seconds: (performance.now() - started) / 1000,
      baseline,
      peak: Math.max(peak, process.memoryUsage().rss),
    };
  } finally {
    clearInterval(sampler);
  }
}
