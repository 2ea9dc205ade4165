import { describe, expect, it } from 'vitest';
import { createStateDraft } from '../../../server/store/state-draft.js';
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
