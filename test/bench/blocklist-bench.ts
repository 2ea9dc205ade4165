/**
 * Blocklist growth curve (part of `npm run bench -- growth`): the cost of one `AccessLists.decide`
 * (the guard's lookup on every request) with 1k, 100k and 1M blocklist entries. Entries are 90%
 * exact addresses (70% IPv4, 30% IPv6) and 10% CIDRs (IPv4 /16 /20 /24, IPv6 /32 /48 /64); probes
 * are half hits (exact entries and addresses inside the CIDRs) and half misses, both families.
 * Target (issue 8): flat in the number of entries, ≤ 2 µs at 1M. Prints a table.
 * Usage: tsx blocklist-bench.ts [sizes, comma-separated]
 */
import { AccessLists, type State, type StateStore } from '../../server/store/index.js';

const SIZES = (process.argv[2] ?? '1000,100000,1000000').split(',').map(Number);
const PROBES = 200_000;
const ROUNDS = 5;

/** A deterministic 32-bit generator (mulberry32), so every run probes the same addresses. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const v4 = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const hex = (n: number) => (n & 0xffff).toString(16);
/** An IPv6 address in 2001:db8::/32 whose groups 3–8 come from `a` and `b`. */
const v6 = (a: number, b: number) =>
  `2001:db8:${hex(a >>> 16)}:${hex(a)}:${hex(b >>> 16)}:${hex(b)}:${hex(a ^ b)}:${hex(b >>> 8)}`;

/** `count` block targets plus `probes` addresses, half of them covered by some target. */
function workload(count: number, probes: number): { targets: string[]; hits: string[]; misses: string[] } {
  const next = random(count);
  const targets: string[] = [];
  const hits: string[] = [];
  for (let i = 0; i < count; i++) {
    const a = next();
    const b = next();
    const kind = i % 10;
    // IPv4 entries live in 1.0.0.0–126.255.255.255; misses are drawn from 128.0.0.0/1.
    const a4 = (a % 0x7e000000) + 0x01000000;
    if (kind === 0) {
      const prefix = [16, 20, 24][i % 3] as number;
      const network = (a4 >>> (32 - prefix)) << (32 - prefix);
      targets.push(`${v4(network >>> 0)}/${prefix}`);
      hits.push(v4((network | (b & ((1 << (32 - prefix)) - 1))) >>> 0));
    } else if (kind === 1) {
      const prefix = [32, 48, 64][i % 3] as number;
      const groups = v6(a, b).split(':');
      targets.push(`${groups.slice(0, prefix / 16).join(':')}::/${prefix}`);
      hits.push(
        [
          ...groups.slice(0, prefix / 16),
          ...v6(b, a)
            .split(':')
            .slice(prefix / 16),
        ].join(':'),
      );
    } else if (kind <= 3) {
      const address = v6(a, b);
      targets.push(address);
      hits.push(address);
    } else {
      targets.push(v4(a4));
      hits.push(v4(a4));
    }
  }
  const pick = random(count + 1);
  const probeHits = Array.from({ length: probes / 2 }, () => hits[pick() % hits.length] as string);
  const misses = Array.from({ length: probes / 2 }, (_, i) =>
    i % 3 === 0 ? `2001:db9::${hex(pick())}:${hex(pick())}` : v4((pick() | 0x80000000) >>> 0),
  );
  return { targets, hits: probeHits, misses };
}

/** A state store held in memory: AccessLists only reads `data` when it (re)loads. */
function memoryStore(targets: string[]): StateStore {
  const createdAt = new Date().toISOString();
  const data: State = {
    version: 1,
    blocks: targets.map((target) => ({
      target,
      reason: 'bench',
      createdAt,
      createdBy: 'bench',
      expiresAt: null,
    })),
    allowlist: [],
    flags: [],
    settings: {},
    audit: [],
    jobRuns: [],
  };
  return {
    data,
    file: ':memory:',
    corruption: null,
    update: async (change) => change(data),
    settled: async () => {},
    close: async () => {},
  };
}

/** Best-of-ROUNDS ns per decide() over `probes`, with the count of blocked answers as a check. */
function time(lists: AccessLists, probes: string[]): { ns: number; blocked: number } {
  let best = Number.POSITIVE_INFINITY;
  let blocked = 0;
  for (let round = 0; round < ROUNDS; round++) {
    blocked = 0;
    const started = process.hrtime.bigint();
    for (const ip of probes) if (lists.decide(ip).kind === 'blocked') blocked++;
    best = Math.min(best, Number(process.hrtime.bigint() - started) / probes.length);
  }
  return { ns: best, blocked };
}

console.log('| blocklist entries | load ms | hit ns/op | miss ns/op | mixed ns/op | heap MB |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const size of SIZES) {
  const { targets, hits, misses } = workload(size, PROBES);
  const loadStart = performance.now();
  const lists = new AccessLists(memoryStore(targets));
  const loadMs = performance.now() - loadStart;
  if (lists.problems.length > 0) throw new Error(`bench entries rejected: ${lists.problems[0]}`);
  const mixed = hits.flatMap((ip, i) => [ip, misses[i] as string]);
  const hit = time(lists, hits);
  const miss = time(lists, misses);
  const all = time(lists, mixed);
  if (hit.blocked !== hits.length || miss.blocked !== 0) {
    throw new Error(
      `wrong answers: ${hit.blocked}/${hits.length} hits blocked, ${miss.blocked} misses blocked`,
    );
  }
  global.gc?.();
  console.log(
    `| ${size.toLocaleString('en')} | ${loadMs.toFixed(0)} | ${hit.ns.toFixed(0)} | ${miss.ns.toFixed(0)} | ${all.ns.toFixed(0)} | ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} |`,
  );
}
console.log('target (issue 8): flat in entries, ≤ 2,000 ns/op at 1,000,000');
