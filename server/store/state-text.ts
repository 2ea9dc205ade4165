import type { State } from './state-schema.js';

const OPEN = Buffer.from('{\n');
const COMMA = Buffer.from(',\n');
const CLOSE = Buffer.from('\n}\n');
const EMPTY = Buffer.from('{}\n');

/**
 * Serialises the state exactly as `JSON.stringify(state, null, 2)` plus a final newline, but field
 * by field, keeping each top-level field's UTF-8 bytes while the field is the same object: a commit
 * replaces only the fields it changed (state-draft.ts), so raising a flag re-serialises the flags
 * and the audit trail, not a 100,000-entry blocklist (about 100 ms of JSON.stringify, and as long
 * again to validate it). The answer is a list of buffers to write one after the other: joining the
 * 17 MB of such a state into one string and encoding it again on every commit held the event loop
 * for 50–60 ms and left that much garbage (README "Performance"). `check(field, value)` runs on each
 * field whose bytes are rebuilt; it throws to refuse the write.
 */
export class StateText {
  readonly #cache = new Map<keyof State, { value: unknown; bytes: Buffer }>();

  /** The state's file contents as consecutive buffers (never modify them: they are cached). */
  chunks(state: State, check: (field: keyof State, value: unknown) => void): Buffer[] {
    const chunks: Buffer[] = [];
    const fresh = new Map<keyof State, { value: unknown; bytes: Buffer }>();
    for (const field of Object.keys(state) as (keyof State)[]) {
      const value = state[field];
      if (value === undefined) continue; // JSON.stringify leaves undefined fields out
      let entry = this.#cache.get(field);
      if (entry?.value !== value) {
        check(field, value);
        // `{ field: value }` stringified is the field as it sits in the state, one level in:
        // `{\n  "field": …\n}`; cheaper than re-indenting the value's own text with a regex.
        const text = JSON.stringify({ [field]: value }, null, 2).slice(2, -2);
        entry = { value, bytes: Buffer.from(text) };
      }
      fresh.set(field, entry);
      chunks.push(chunks.length === 0 ? OPEN : COMMA, entry.bytes);
    }
    // Only once every field passed its check: a refused write must not leave its bytes behind.
    for (const [field, entry] of fresh) this.#cache.set(field, entry);
    if (chunks.length === 0) return [EMPTY];
    chunks.push(CLOSE);
    return chunks;
  }
}
