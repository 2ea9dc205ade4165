import v8 from 'node:v8';

/**
 * Old-generation growth per major GC, percent: the heap may grow to (1 + this/100) × what survived
 * the last one before the next major GC runs.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Makes V8 grow the old generation by at most {@link HEAP_GROWING_PERCENT} % per major GC, for a
 * long-running appliance process (the `ipwarden start` server, the desktop app's core). By default
 * V8 lets a heap whose limit is ≥ 2 GB (Node's default on a machine with 16 GB or more) grow up to
 * 4× its live size between major GCs (V8 src/heap/heap-controller.cc, `MaxGrowingFactor`: 4.0 once
 * the limit reaches `kMaxSize`). Under a flood, short-lived records promoted by the young
 * generation then filled ~150–180 MB of old space around ~60 MB of live data, and the RSS kept it
 * (issue 8, memory bench: 350 MB after 1M distinct client IPs; 282 MB with this, at the same
 * requests/s). This is not a heap cap: the limit stays Node's default, only major GCs come sooner.
 * Node warns that flags changed after start-up may misbehave; this one is safe to change because
 * V8 reads it afresh each time it sets the next GC's limit (`GrowingFactor`), from the next GC on.
 */
export function setupHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
