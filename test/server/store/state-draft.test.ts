import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cloneJson,
  createStateDraft,
  deepFreeze,
  freezeStateElements,
} from '../../../server/store/state-draft.js';
import { emptyState, type State } from '../../../server/store/state-schema.js';

const AT = '2024-03-01T12:00:00.000Z';
const base = (): State => ({
  ...emptyState(),
  blocks: [{ target: '10.0.0.1', reason: 'r', createdAt: AT, createdBy: 'cli', expiresAt: null }],
  flags: [],
  audit: [{ at: AT, actor: 'cli', action: 'block', target: '10.0.0.1' }],
});

describe('createStateDraft', () => {
  it('copies only the fields a change touched; the others stay the base objects', () => {
    const state = base();
    const { draft, result } = createStateDraft(state);
    draft.audit.push({ at: AT, actor: 'rule:live', action: 'flag', target: '10.0.0.2' });
    const next = result();
    expect(next.blocks).toBe(state.blocks);
    expect(next.settings).toBe(state.settings);
    expect(next.audit).not.toBe(state.audit);
    expect(next.audit).toHaveLength(2);
  });

  it('never changes the base, however the change writes', () => {
    const state = base();
    const before = structuredClone(state);
    const { draft, result } = createStateDraft(state);
    (draft.blocks[0] as State['blocks'][number]).reason = 'changed in place';
    draft.settings = { proxy: { x: 1 } };
    draft.flags.push({
      ip: '10.0.0.3',
      reason: 'high_volume',
      details: {},
      request_count: 101,
      first_seen: AT,
      last_seen: AT,
      is_active: true,
    });
    expect(state).toEqual(before);
    expect(result()).toMatchObject({ settings: { proxy: { x: 1 } }, flags: [{ ip: '10.0.0.3' }] });
    expect(result().blocks[0]?.reason).toBe('changed in place');
  });

  it('shares frozen elements with the base; changing one in place throws, replacing it works', () => {
    const state = freezeStateElements(base());
    const { draft, result } = createStateDraft(state);
    expect(draft.blocks[0]).toBe(state.blocks[0]);
    expect(() => {
      (draft.blocks[0] as State['blocks'][number]).reason = 'changed in place';
    }).toThrow(TypeError);
    draft.blocks[0] = { ...(draft.blocks[0] as State['blocks'][number]), reason: 'replaced' };
    expect(state.blocks[0]?.reason).toBe('r');
    expect(result().blocks[0]?.reason).toBe('replaced');
  });

  it('commits a deep-frozen copy of each element a change added, and leaves the caller its own object', () => {
    const state = freezeStateElements(base());
    const { draft, result } = createStateDraft(state);
    const details = { samplePaths: ['/admin'] };
    const flag = {
      ip: '10.0.0.3',
      reason: 'admin_probe',
      details,
      request_count: 4,
      first_seen: AT,
      last_seen: AT,
      is_active: true,
    };
    draft.flags.push(flag);
    const next = result();
    expect(next.flags[0]).toEqual(flag);
    expect(next.flags[0]).not.toBe(flag);
    expect(Object.isFrozen(next.flags[0])).toBe(true);
    expect(Object.isFrozen(next.flags[0]?.details.samplePaths)).toBe(true);
    details.samplePaths.push('/wp-admin');
    expect(next.flags[0]?.details).toEqual({ samplePaths: ['/admin'] });
    expect(next.blocks[0]).toBe(state.blocks[0]);
  });

  it('reads like the state: keys, spread, JSON, `in`', () => {
    const state = base();
    const { draft } = createStateDraft(state);
    expect(Object.keys(draft).sort()).toEqual(Object.keys(state).sort());
    expect({ ...draft }).toEqual(state);
    expect(JSON.parse(JSON.stringify(draft))).toEqual(state);
    expect('blocks' in draft).toBe(true);
    expect('nope' in draft).toBe(false);
  });

  it('refuses to delete a top-level field', () => {
    const { draft } = createStateDraft(base());
    expect(() => delete (draft as Partial<State>).audit).toThrow(/audit cannot be deleted/);
  });
});

/** Every object and array inside `value`, itself included. */
function objectsIn(value: unknown, found = new Set<object>()): Set<object> {
  if (typeof value === 'object' && value !== null) {
    found.add(value);
    for (const inner of Object.values(value)) objectsIn(inner, found);
  }
  return found;
}

describe('deepFreeze', () => {
  it('freezes every object and array inside a value, and returns it', () => {
    const value = { a: [{ b: 1 }], c: { d: [2] } };
    expect(deepFreeze(value)).toBe(value);
    for (const inner of objectsIn(value)) expect(Object.isFrozen(inner)).toBe(true);
  });
});

describe('cloneJson', () => {
  it('copies JSON data as structuredClone does, and shares no object or array with it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = cloneJson(value);
        expect(copy).toStrictEqual(structuredClone(value));
        const originals = objectsIn(value);
        for (const inner of objectsIn(copy)) expect(originals.has(inner)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a `__proto__` key an own property, as JSON.parse made it, and leaves the prototype alone', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": [1, {"__proto__": 2}]}');
    const copy = cloneJson(value);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('hands what is not JSON (a Date, a Map) to structuredClone', () => {
    const at = new Date(AT);
    const copy = cloneJson({ at, seen: new Map([['k', 1]]) });
    expect(copy.at).toBeInstanceOf(Date);
    expect(copy.at).not.toBe(at);
    expect(copy.at.getTime()).toBe(at.getTime());
    expect(copy.seen.get('k')).toBe(1);
  });
});
