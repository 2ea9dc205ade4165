import type { State } from './state-schema.js';

const OPEN = Buffer.from('{\n');
const COMMA = Buffer.from(',\n');
const CLOSE = Buffer.from('\n}\n');
const EMPTY = Buffer.from('{}\n');
const ARRAY_END = Buffer.from('\n  ]');

/**
 * Elements per cached run of an array field: a commit that adds, replaces or removes one element
 * re-serialises and re-checks at most about two runs of the field (≈ 1.5 ms of zod and
 * JSON.stringify for 256 blocks), whatever the length of the array.
 */
export const RUN_LENGTH = 256;

/**
 * Checks a value about to be written: a whole top-level field, or (with `index`) one element of a
 * top-level array. Throws to refuse the write.
 */
export type StateCheck = (field: keyof State, value: unknown, index?: number) => void;

/** Consecutive elements of an array field and their bytes, as they sit in the file. */
interface Run {
  readonly elements: readonly unknown[];
  readonly bytes: Buffer;
}

interface FieldText {
  readonly value: unknown;
  readonly chunks: readonly Buffer[];
  /** For an array field: its cachable runs, by their first element. */
  readonly runs?: ReadonlyMap<unknown, Run>;
}

/**
 * Serialises the state exactly as `JSON.stringify(state, null, 2)` plus a final newline, but field
 * by field, keeping each top-level field's UTF-8 bytes while the field is the same object: a commit
 * replaces only the fields it changed (state-draft.ts), so raising a flag re-serialises the flags
 * and the audit trail, not a 100,000-entry blocklist (about 100 ms of JSON.stringify, and as long
 * again to validate it). The answer is a list of buffers to write one after the other: joining the
 * 17 MB of such a state into one string and encoding it again on every commit held the event loop
 * for 50–60 ms and left that much garbage (README "Performance").
 *
 * Within a changed array field, runs of up to {@link RUN_LENGTH} elements keep their bytes while
 * they hold the same deep-frozen elements in the same order (the store freezes them, state-draft.ts),
 * so blocking one more IP, raising a flag or refreshing a few of 1,000 flags checks and serialises
 * a few hundred elements, not the 100,000 blocks or the whole audit trail: those commits took 220,
 * 68 and 26 ms of the event loop with 100,000 blocks, 20,000 audit entries and 1,000 flags (README
 * "Performance"). A run holding an element that is not frozen is rebuilt every time; an element
 * frozen only on the surface refuses the write. `check` runs on each field, or array element, whose
 * bytes are rebuilt.
 */
export class StateText {
  readonly #cache = new Map<keyof State, FieldText>();

  /** The state's file contents as consecutive buffers (never modify them: they are cached). */
  chunks(state: State, check: StateCheck): Buffer[] {
    const chunks: Buffer[] = [];
    const fresh = new Map<keyof State, FieldText>();
    for (const field of Object.keys(state) as (keyof State)[]) {
      const value = state[field];
      if (value === undefined) continue; // JSON.stringify leaves undefined fields out
      let entry = this.#cache.get(field);
      if (entry?.value !== value)
        entry = Array.isArray(value)
          ? this.#arrayText(field, value, entry?.runs, check)
          : fieldText(field, value, check);
      fresh.set(field, entry);
      chunks.push(chunks.length === 0 ? OPEN : COMMA, ...entry.chunks);
    }
    // Only once every field passed its check: a refused write must not leave its bytes behind.
    for (const [field, entry] of fresh) this.#cache.set(field, entry);
    if (chunks.length === 0) return [EMPTY];
    chunks.push(CLOSE);
    return chunks;
  }

  #arrayText(
    field: keyof State,
    array: readonly unknown[],
    old: ReadonlyMap<unknown, Run> = new Map(),
    check: StateCheck,
  ): FieldText {
    const name = JSON.stringify(field);
    if (array.length === 0) return { value: array, chunks: [Buffer.from(`  ${name}: []`)], runs: new Map() };
    const runs: Run[] = [];
    const built = new Set<Run>();
    const reused = new Set<Run>();
    let i = 0;
    while (i < array.length) {
      const same = matchingRun(old, array, i);
      if (same) {
        runs.push(same);
        reused.add(same);
        i += same.elements.length;
        continue;
      }
      // A short run just before is rebuilt with this one, so that appending one element a commit
      // does not leave the field in runs of one.
      let start = i;
      const previous = runs.at(-1);
      if (previous && previous.elements.length < RUN_LENGTH / 2) {
        runs.pop();
        reused.delete(previous);
        start -= previous.elements.length;
      }
      let end = i + 1;
      while (end < array.length && end - start < RUN_LENGTH && !matchingRun(old, array, end)) end++;
      const run = buildRun(field, array.slice(start, end));
      runs.push(run);
      built.add(run);
      i = end;
    }
    // Elements of a cached run were checked when it was built, and are frozen: only the others are.
    const checked = new Set<unknown>();
    for (const run of old.values()) if (!reused.has(run)) for (const el of run.elements) checked.add(el);
    let index = 0;
    for (const run of runs) {
      if (built.has(run))
        for (const [k, el] of run.elements.entries()) if (!checked.has(el)) check(field, el, index + k);
      index += run.elements.length;
    }
    const chunks: Buffer[] = [Buffer.from(`  ${name}: [\n`)];
    const byStart = new Map<unknown, Run>();
    for (const [n, run] of runs.entries()) {
      if (n > 0) chunks.push(COMMA);
      chunks.push(run.bytes);
      // A reused run was cachable when it was built, and frozen elements stay so.
      if (reused.has(run) || (built.has(run) && cachable(field, run))) byStart.set(run.elements[0], run);
    }
    chunks.push(ARRAY_END);
    return { value: array, chunks, runs: byStart };
  }
}

function fieldText(field: keyof State, value: unknown, check: StateCheck): FieldText {
  check(field, value);
  // `{ field: value }` stringified is the field as it sits in the state, one level in:
  // `{\n  "field": …\n}`; cheaper than re-indenting the value's own text with a regex.
  const text = JSON.stringify({ [field]: value }, null, 2).slice(2, -2);
  return { value, chunks: [Buffer.from(text)] };
}

/** The cached run that starts at `array[i]` and still holds the same elements there, if any. */
function matchingRun(runs: ReadonlyMap<unknown, Run>, array: readonly unknown[], i: number): Run | undefined {
  const run = runs.get(array[i]);
  if (run === undefined || i + run.elements.length > array.length) return undefined;
  for (let k = 1; k < run.elements.length; k++) if (run.elements[k] !== array[i + k]) return undefined;
  return run;
}

/** The elements' text as it sits in the array field (four spaces in, `,\n` between them). */
function buildRun(field: keyof State, elements: unknown[]): Run {
  // `{ field: elements }` stringified is `{\n  "field": [\n` + the elements + `\n  ]\n}`.
  const text = JSON.stringify({ [field]: elements }, null, 2);
  const head = `{\n  ${JSON.stringify(field)}: [\n`.length;
  return { elements, bytes: Buffer.from(text.slice(head, -'\n  ]\n}'.length)) };
}

/**
 * Whether a run's elements can never change: all deep-frozen. An element that is frozen but holds an
 * object that is not would pass for immutable where it is not (the state draft shares frozen
 * elements, state-draft.ts), so it refuses the write.
 * @throws Error naming the field when an element is frozen only on the surface.
 */
function cachable(field: keyof State, run: Run): boolean {
  let all = true;
  for (const el of run.elements) {
    if (isDeepFrozen(el)) continue;
    if (typeof el === 'object' && el !== null && Object.isFrozen(el))
      throw new Error(
        `an element of ${field} is frozen but holds objects that are not: freeze it deeply or not at all`,
      );
    all = false;
  }
  return all;
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const inner of Object.values(value)) if (!isDeepFrozen(inner)) return false;
  return true;
}
