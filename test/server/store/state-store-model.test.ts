import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type State, stateSchema } from '../../../server/store/state-schema.js';
import { openStateStore } from '../../../server/store/state-store.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** When set, renaming the temp file over state.json fails (a disk error), so the commit must fail. */
const fault = { rename: false };
vi.mock('node:fs/promises', async (original) => {
  const real = (await original()) as typeof import('node:fs/promises');
  return {
    ...real,
    rename: async (from: string, to: string) => {
      if (fault.rename && from.endsWith('.tmp'))
        throw Object.assign(new Error('EIO injected'), { code: 'EIO' });
      return real.rename(from, to);
    },
  };
});

const AT = '2024-03-01T12:00:00.000Z';
let n = 0;
const newBlock = (bad = false) => ({
  target: `10.0.${(n >> 8) & 255}.${n++ & 255}`,
  reason: 'r',
  createdAt: bad ? 'bad' : AT,
  createdBy: 'cli',
  expiresAt: null,
});
const newFlag = () => ({
  ip: `192.0.2.${n++ & 255}`,
  reason: 'x',
  details: { a: { b: [n] } },
  request_count: 1,
  first_seen: AT,
  last_seen: AT,
  is_active: true,
});

const KINDS = [
  'push',
  'pushMany',
  'insert',
  'replace',
  'remove',
  'filter',
  'reverse',
  'duplicate',
  'flag',
  'flagFrozenOnTop',
  'flagReplace',
  'audit',
  'invalid',
  'throw',
  'mutate',
  'mutateNested',
  'settings',
  'jobRun',
] as const;
type Op = { kind: (typeof KINDS)[number]; i: number; count: number; frozen: boolean; failWrite: boolean };
const op = fc.record({
  kind: fc.constantFrom(...KINDS),
  i: fc.nat(5000),
  count: fc.integer({ min: 1, max: 400 }),
  frozen: fc.boolean(),
  failWrite: fc.boolean(),
});
/** Changes the store must refuse, whatever the state: editing a committed element in place. */
const refused = new Set<Op['kind']>(['mutate', 'mutateNested', 'flagFrozenOnTop']);

/** The change for `o`; its new objects are made once, so the model and the store get the same ones. */
function change(o: Op): (s: State) => void {
  const many = Array.from({ length: o.count }, () => newBlock());
  const one = newBlock();
  const bad = newBlock(true);
  const flag = newFlag();
  const maybeFrozen = <T>(x: T): T => (o.frozen ? Object.freeze(x) : x);
  return (s) => {
    const length = s.blocks.length;
    const at = length ? o.i % length : 0;
    switch (o.kind) {
      case 'push':
        s.blocks.push(maybeFrozen(one));
        break;
      case 'pushMany':
        s.blocks.push(...many.map(maybeFrozen));
        break;
      case 'insert':
        s.blocks.splice(at, 0, ...many.slice(0, 1 + (o.count % 30)).map(maybeFrozen));
        break;
      case 'replace':
        if (length)
          s.blocks[at] = maybeFrozen({ ...(s.blocks[at] as State['blocks'][number]), reason: `r${o.i}` });
        break;
      case 'remove':
        s.blocks.splice(at, o.count);
        break;
      case 'filter':
        s.blocks = s.blocks.filter((_, j) => j % (2 + (o.count % 7)) !== 0);
        break;
      case 'reverse':
        s.blocks.reverse();
        break;
      case 'duplicate':
        if (length) s.blocks.push(s.blocks[at] as State['blocks'][number]);
        break;
      case 'flag':
        s.flags.push(flag);
        break;
      case 'flagFrozenOnTop':
        s.flags.push(Object.freeze(flag));
        break;
      case 'flagReplace':
        if (s.flags.length) {
          const j = o.i % s.flags.length;
          const old = s.flags[j] as State['flags'][number];
          s.flags[j] = { ...old, details: { ...old.details, n: o.i } };
        }
        break;
      case 'audit':
        s.audit.push({ at: AT, actor: 'a', action: 'x', target: 't', details: { o: { p: o.i } } });
        break;
      case 'invalid':
        s.blocks.push(bad);
        break;
      case 'throw':
        s.blocks.push(one);
        throw new Error('boom');
      case 'mutate':
        if (!length) throw new TypeError('nothing to edit');
        (s.blocks[at] as { reason: string }).reason = 'edited';
        break;
      case 'mutateNested':
        if (!s.flags.length) throw new TypeError('nothing to edit');
        ((s.flags[0] as State['flags'][number]).details as { a: { b: number[] } }).a.b.push(9);
        break;
      case 'settings':
        s.settings.k = o.i;
        break;
      case 'jobRun':
        s.jobRuns.push({ name: 'j', n: o.i });
        break;
    }
  };
}

const fileOf = (dir: string) => readFile(path.join(dir, 'state.json'), 'utf8');

describe('the state store against a plain model (differential, fuzzed)', () => {
  it('agrees with a deep-copied model after every update, in memory, in the file and after reopening', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const { dir, cleanup } = await makeTempDir();
        try {
          const store = await openStateStore({ dataDir: dir });
          let model: State = structuredClone(store.data) as State;
          for (const o of ops) {
            const apply = change(o);
            const next = structuredClone(model);
            let modelOk = !refused.has(o.kind);
            try {
              apply(next);
            } catch {
              modelOk = false;
            }
            if (!stateSchema.safeParse(next).success) modelOk = false;
            fault.rename = o.failWrite && o.kind === 'push';
            if (fault.rename) modelOk = false;
            let ok = true;
            try {
              await store.update(apply);
            } catch {
              ok = false;
            } finally {
              fault.rename = false;
            }
            expect({ kind: o.kind, ok }).toEqual({ kind: o.kind, ok: modelOk });
            if (ok) model = next;
            expect(store.data).toEqual(model);
            expect(await fileOf(dir)).toBe(`${JSON.stringify(model, null, 2)}\n`);
          }
          const reopened = await openStateStore({ dataDir: dir });
          expect(reopened.corruption).toBeNull();
          expect(reopened.data).toEqual(model);
        } finally {
          await cleanup();
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('writes exactly the state in memory, and a valid one, after group commits mixing good, throwing and failing changes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 10 }),
        async (rounds) => {
          const { dir, cleanup } = await makeTempDir();
          try {
            const store = await openStateStore({ dataDir: dir });
            for (const round of rounds) {
              await Promise.allSettled(round.map((o) => store.update(change(o))));
              const file = await fileOf(dir);
              expect(file).toBe(`${JSON.stringify(store.data, null, 2)}\n`);
              expect(stateSchema.safeParse(JSON.parse(file)).success).toBe(true);
            }
          } finally {
            await cleanup();
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 120_000);
});
