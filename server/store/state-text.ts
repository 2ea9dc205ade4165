import type { State } from './state-schema.js';

/**
 * Serialises the state exactly as `JSON.stringify(state, null, 2)` plus a final newline, but field
 * by field, keeping each top-level field's text while the field is the same object: a commit
 * replaces only the fields it changed (state-draft.ts), so raising a flag re-serialises the flags
 * and the audit trail, not a 100,000-entry blocklist (about 100 ms of JSON.stringify, and as long
 * again to validate it). `check(field, value)` runs on each field whose text is rebuilt; it throws
 * to refuse the write.
 */
export class StateText {
  readonly #cache = new Map<keyof State, { value: unknown; text: string }>();

  text(state: State, check: (field: keyof State, value: unknown) => void): string {
    const parts: string[] = [];
    const fresh = new Map<keyof State, { value: unknown; text: string }>();
    for (const field of Object.keys(state) as (keyof State)[]) {
      const value = state[field];
      if (value === undefined) continue; // JSON.stringify leaves undefined fields out
      let entry = this.#cache.get(field);
      if (entry?.value !== value) {
        check(field, value);
        entry = { value, text: `  ${JSON.stringify(field)}: ${indent(JSON.stringify(value, null, 2))}` };
      }
      fresh.set(field, entry);
      parts.push(entry.text);
    }
    // Only once every field passed its check: a refused write must not leave its texts behind.
    for (const [field, entry] of fresh) this.#cache.set(field, entry);
    return parts.length === 0 ? '{}\n' : `{\n${parts.join(',\n')}\n}\n`;
  }
}

/** Nests a JSON.stringify(…, null, 2) text one level deeper, as it sits inside the state object. */
function indent(json: string): string {
  return json.includes('\n') ? json.replace(/\n/g, '\n  ') : json;
}
