import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../../server/store/state-draft.js';
import { emptyState, type State } from '../../../server/store/state-schema.js';
import { RUN_LENGTH, type StateCheck, StateText } from '../../../server/store/state-text.js';

const AT = '2024-03-01T12:00:00.000Z';
const block = (target: string) => ({ target, reason: 'r', createdAt: AT, createdBy: 'cli', expiresAt: null });
const frozenBlock = (target: string) => deepFreeze(block(target));
const json = fc.jsonValue();
const text = (serialiser: StateText, state: State, check: StateCheck) =>
  Buffer.concat(serialiser.chunks(state, check)).toString();
const exact = (state: State) => `${JSON.stringify(state, null, 2)}\n`;
/** A check that records what it was asked about: `field`, or `field.index` for an array element. */
const recorder = () => {
  const checked: string[] = [];
  const check: StateCheck = (field, _value, index) => {
    checked.push(index === undefined ? field : `${field}.${index}`);
  };
  return { checked, check };
};

describe('StateText', () => {
  it('writes exactly what JSON.stringify(state, null, 2) writes, plus a newline (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string(), { maxLength: 5 }),
        fc.dictionary(fc.string(), json, { maxKeys: 4 }),
        fc.array(fc.dictionary(fc.string(), json, { maxKeys: 3 }), { maxLength: 3 }),
        (targets, settings, jobRuns) => {
          const state: State = { ...emptyState(), blocks: targets.map(block), settings, jobRuns };
          expect(text(new StateText(), state, () => undefined)).toBe(exact(state));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays exact over commits that insert, replace and remove frozen elements anywhere (fuzzed)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        count: fc.integer({ min: 1, max: 300 }),
      }),
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('remove' as const),
        at: fc.nat(),
        count: fc.integer({ min: 1, max: 300 }),
      }),
      fc.record({ kind: fc.constant('filter' as const), every: fc.integer({ min: 2, max: 50 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        const serialiser = new StateText();
        let n = 0;
        let state: State = emptyState();
        text(serialiser, state, () => undefined);
        for (const o of ops) {
          const blocks = state.blocks.slice();
          const at = blocks.length === 0 ? 0 : ('at' in o ? o.at : 0) % (blocks.length + 1);
          if (o.kind === 'insert')
            blocks.splice(
              at,
              0,
              ...Array.from({ length: o.count }, () => frozenBlock(`10.0.${n >> 8}.${n++ & 255}`)),
            );
          else if (o.kind === 'replace' && at < blocks.length)
            blocks[at] = frozenBlock(`192.0.2.${n++ & 255}`);
          else if (o.kind === 'remove') blocks.splice(at, o.count);
          else if (o.kind === 'filter')
            state = { ...state, blocks: blocks.filter((_, i) => i % o.every !== 0) };
          if (o.kind !== 'filter') state = { ...state, blocks };
          const { checked, check } = recorder();
          expect(text(serialiser, state, check)).toBe(exact(state));
          // Only what is new is checked.
          const added = o.kind === 'insert' ? o.count : o.kind === 'replace' && at < blocks.length ? 1 : 0;
          expect(checked).toHaveLength(added);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('checks and rebuilds only fields that are new objects, and stays exact across commits', () => {
    const serialiser = new StateText();
    const { checked, check } = recorder();
    const first: State = { ...emptyState(), blocks: [frozenBlock('10.0.0.1')] };
    text(serialiser, first, check);
    expect(checked.sort()).toEqual(['blocks.0', 'settings', 'version']);

    checked.length = 0;
    const entry = deepFreeze({ at: AT, actor: 'cli', action: 'flag', target: '10.0.0.2' });
    const second: State = { ...first, audit: [entry] };
    expect(text(serialiser, second, check)).toBe(exact(second));
    expect(checked).toEqual(['audit.0']);
    expect(text(serialiser, second, check)).toBe(exact(second));
    expect(checked).toEqual(['audit.0']);
  });

  it('adds one block to 100,000 by checking that block and serialising one run, not the whole blocklist', () => {
    const serialiser = new StateText();
    const blocks = Array.from({ length: 100_000 }, (_, i) =>
      frozenBlock(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`),
    );
    const state: State = { ...emptyState(), blocks };
    const before = new Set(serialiser.chunks(state, () => undefined));
    const { checked, check } = recorder();
    const next: State = {
      ...state,
      blocks: [...blocks.filter((b) => b.target !== '10.0.0.7'), frozenBlock('192.0.2.1')],
    };
    const chunks = serialiser.chunks(next, check);
    expect(Buffer.concat(chunks).toString()).toBe(exact(next));
    expect(checked).toEqual(['blocks.99999']);
    // Of the 13 MB, only the runs around the removed and the added block were serialised again.
    const rebuilt = chunks.filter((c) => !before.has(c)).reduce((sum, c) => sum + c.length, 0);
    expect(rebuilt).toBeLessThan(2 * RUN_LENGTH * 150);
  });

  it('rebuilds, every time, a run whose elements are not frozen: changed in place, they are still written as they are', () => {
    const serialiser = new StateText();
    const flag = {
      ip: '10.0.0.1',
      reason: 'r',
      details: {},
      request_count: 1,
      first_seen: AT,
      last_seen: AT,
      is_active: true,
    };
    const state: State = { ...emptyState(), flags: [flag] };
    text(serialiser, state, () => undefined);
    flag.request_count = 2;
    const next: State = { ...state, flags: [...state.flags] };
    expect(text(serialiser, next, () => undefined)).toContain('"request_count": 2');
  });

  it('refuses an element frozen only on the surface, which would pass for immutable where it is not', () => {
    const flag = {
      ip: '10.0.0.1',
      reason: 'r',
      details: { paths: ['/'] },
      request_count: 1,
      first_seen: AT,
      last_seen: AT,
      is_active: true,
    };
    const state: State = { ...emptyState(), flags: [Object.freeze(flag)] };
    expect(() => text(new StateText(), state, () => undefined)).toThrow(
      'an element of flags is frozen but holds objects that are not',
    );
  });

  it('writes an empty object as JSON.stringify does', () => {
    expect(text(new StateText(), {} as State, () => undefined)).toBe('{}\n');
  });

  it('keeps nothing from a refused write: the next write checks the field again', () => {
    const serialiser = new StateText();
    const state: State = emptyState();
    text(serialiser, state, () => undefined);
    const bad: State = { ...state, blocks: [frozenBlock('')] };
    const refuse: StateCheck = (field, _value, index) => {
      if (field === 'blocks') throw new Error(`refused blocks.${index}`);
    };
    expect(() => text(serialiser, bad, refuse)).toThrow('refused blocks.0');
    expect(() => text(serialiser, bad, refuse)).toThrow('refused blocks.0');
  });
});
