import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyState, type State } from '../../../server/store/state-schema.js';
import { StateText } from '../../../server/store/state-text.js';

const AT = '2024-03-01T12:00:00.000Z';
const block = (target: string) => ({ target, reason: 'r', createdAt: AT, createdBy: 'cli', expiresAt: null });
const json = fc.jsonValue();
const text = (serialiser: StateText, state: State, check: (field: string) => void) =>
  Buffer.concat(serialiser.chunks(state, check)).toString();

describe('StateText', () => {
  it('writes exactly what JSON.stringify(state, null, 2) writes, plus a newline (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string(), { maxLength: 5 }),
        fc.dictionary(fc.string(), json, { maxKeys: 4 }),
        fc.array(fc.dictionary(fc.string(), json, { maxKeys: 3 }), { maxLength: 3 }),
        (targets, settings, jobRuns) => {
          const state: State = { ...emptyState(), blocks: targets.map(block), settings, jobRuns };
          expect(text(new StateText(), state, () => undefined)).toBe(`${JSON.stringify(state, null, 2)}\n`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('checks and rebuilds only fields that are new objects, and stays exact across commits', () => {
    const serialiser = new StateText();
    const checked: string[] = [];
    const check = (field: string) => checked.push(field);
    const first: State = { ...emptyState(), blocks: [block('10.0.0.1')] };
    text(serialiser, first, check);
    expect(checked.sort()).toEqual(Object.keys(first).sort());

    checked.length = 0;
    const second: State = { ...first, audit: [{ at: AT, actor: 'cli', action: 'flag', target: '10.0.0.2' }] };
    expect(text(serialiser, second, check)).toBe(`${JSON.stringify(second, null, 2)}\n`);
    expect(checked).toEqual(['audit']);
    expect(text(serialiser, second, check)).toBe(`${JSON.stringify(second, null, 2)}\n`);
    expect(checked).toEqual(['audit']);
  });

  it('writes an empty object as JSON.stringify does', () => {
    expect(text(new StateText(), {} as State, () => undefined)).toBe('{}\n');
  });

  it('keeps nothing from a refused write: the next write checks the field again', () => {
    const serialiser = new StateText();
    const state: State = emptyState();
    text(serialiser, state, () => undefined);
    const bad: State = { ...state, blocks: [block('')] };
    const refuse = (field: string) => {
      if (field === 'blocks') throw new Error('refused');
    };
    expect(() => text(serialiser, bad, refuse)).toThrow('refused');
    expect(() => text(serialiser, bad, refuse)).toThrow('refused');
  });
});
