import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyState, stateSchema } from '../../../server/store/state-schema.js';
import { openStateStore, StateStoreClosedError } from '../../../server/store/state-store.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let dataDir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: dataDir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

const FIXED = new Date('2024-03-01T12:34:56.789Z');
const open = () => openStateStore({ dataDir, now: () => FIXED });
const stateFile = () => path.join(dataDir, 'state.json');
const readState = async () => JSON.parse(await readFile(stateFile(), 'utf8')) as unknown;

const block = (target: string) => ({
  target,
  reason: 'test',
  createdAt: FIXED.toISOString(),
  createdBy: 'cli',
  expiresAt: null,
});

describe('openStateStore', () => {
  it('creates state.json holding the empty state on first open, leaving no temp file behind', async () => {
    const store = await open();
    expect(store.file).toBe(stateFile());
    expect(store.data).toEqual(emptyState());
    expect(store.corruption).toBeNull();
    expect(await readState()).toEqual(emptyState());
    expect(await readdir(dataDir)).toEqual(['state.json']);
  });

  it('creates a missing data directory', async () => {
    const nested = path.join(dataDir, 'a', 'b');
    const store = await openStateStore({ dataDir: nested });
    await store.update((s) => {
      s.settings.x = 1;
    });
    expect(JSON.parse(await readFile(path.join(nested, 'state.json'), 'utf8')).settings).toEqual({ x: 1 });
  });

  it('reads back what an earlier store wrote', async () => {
    const first = await open();
    await first.update((s) => {
      s.blocks.push(block('203.0.113.7'));
      s.settings.retentionDays = 30;
    });
    const second = await open();
    expect(second.data.blocks).toEqual([block('203.0.113.7')]);
    expect(second.data.settings).toEqual({ retentionDays: 30 });
    expect(second.corruption).toBeNull();
  });
});

describe('StateStore.update', () => {
  it('writes the change to disk before resolving and returns what the change returned', async () => {
    const store = await open();
    const result = await store.update((s) => {
      s.blocks.push(block('198.51.100.0/24'));
      return s.blocks.length;
    });
    expect(result).toBe(1);
    expect(store.data.blocks).toHaveLength(1);
    expect(stateSchema.parse(await readState()).blocks).toEqual([block('198.51.100.0/24')]);
  });

  it('serialises concurrent updates: ten parallel pushes all land, in order', async () => {
    const store = await open();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.update((s) => {
          s.blocks.push(block(`10.0.0.${i}`));
          return s.blocks.length;
        }),
      ),
    );
    expect(results).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const expected = Array.from({ length: 10 }, (_, i) => `10.0.0.${i}`);
    expect(store.data.blocks.map((b) => b.target)).toEqual(expected);
    expect(stateSchema.parse(await readState()).blocks.map((b) => b.target)).toEqual(expected);
    expect((await open()).data.blocks).toHaveLength(10);
  });

  it('writes nothing and changes nothing in memory when the change throws', async () => {
    const store = await open();
    await store.update((s) => {
      s.blocks.push(block('10.0.0.1'));
    });
    const before = await readFile(stateFile(), 'utf8');
    await expect(
      store.update((s) => {
        s.blocks.push(block('10.0.0.2'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(store.data.blocks.map((b) => b.target)).toEqual(['10.0.0.1']);
    expect(await readFile(stateFile(), 'utf8')).toBe(before);
  });

  it('commits a burst of updates together, and a change that throws in the middle of one costs only itself', async () => {
    const store = await open();
    const first = store.update((s) => {
      s.blocks.push(block('10.1.0.0'));
    });
    // These arrive while the first write is in flight and are committed as one group.
    const burst = Array.from({ length: 50 }, (_, i) =>
      store.update((s) => {
        if (i === 25) {
          s.blocks.push(block('10.9.9.9'));
          throw new Error('bad change');
        }
        s.blocks.push(block(`10.1.0.${i + 1}`));
        return i;
      }),
    );
    await first;
    const settled = await Promise.allSettled(burst);
    expect(settled.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((settled[25] as PromiseRejectedResult).reason.message).toBe('bad change');
    const targets = store.data.blocks.map((b) => b.target);
    expect(targets).toHaveLength(50);
    expect(targets).not.toContain('10.9.9.9');
    expect(stateSchema.parse(await readState()).blocks.map((b) => b.target)).toEqual(targets);
  });

  it('rejects a change that throws only when it is applied again after another failed, and keeps committing', async () => {
    const store = await open();
    const first = store.update((s) => {
      s.blocks.push(block('10.1.0.0'));
    });
    let calls = 0;
    const flaky = store.update((s) => {
      calls++;
      s.blocks.push(block('10.2.0.1'));
      if (calls > 1) throw new Error('second call');
    });
    const failing = store.update(() => {
      throw new Error('boom');
    });
    const kept = store.update((s) => {
      s.blocks.push(block('10.3.0.1'));
    });
    await first;
    await expect(failing).rejects.toThrow('boom');
    await expect(flaky).rejects.toThrow('second call');
    await kept;
    await store.update((s) => {
      s.blocks.push(block('10.4.0.1'));
    });
    const targets = ['10.1.0.0', '10.3.0.1', '10.4.0.1'];
    expect(store.data.blocks.map((b) => b.target)).toEqual(targets);
    expect(stateSchema.parse(await readState()).blocks.map((b) => b.target)).toEqual(targets);
  });

  it('refuses only the change that makes the state invalid when it comes in a group with others', async () => {
    const store = await open();
    const first = store.update((s) => {
      s.blocks.push(block('10.1.0.0'));
    });
    // Valid while the change runs, refused when the state is written (an empty actor).
    const invalid = store.update((s) => {
      s.audit.push({ at: FIXED.toISOString(), actor: '', action: 'allow', target: '10.5.0.1' });
    });
    const notJson = store.update((s) => {
      s.jobRuns.push({ name: 'j', count: 1n });
    });
    const notCopyable = store.update((s) => {
      // A class instance goes to structuredClone, which cannot copy its function.
      const run = new (class Run {
        name = 'j';
        stop = () => undefined;
      })();
      s.jobRuns.push(run as unknown as Record<string, unknown>);
    });
    const valid = store.update((s) => {
      s.blocks.push(block('10.2.0.1'));
      return 'kept';
    });
    await first;
    await expect(invalid).rejects.toThrow(/audit\.0\.actor/);
    await expect(notJson).rejects.toThrow(/refusing to write .*BigInt/);
    await expect(notCopyable).rejects.toThrow(/refusing to commit the state/);
    await expect(valid).resolves.toBe('kept');
    expect(store.data.blocks.map((b) => b.target)).toEqual(['10.1.0.0', '10.2.0.1']);
    expect(stateSchema.parse(await readState()).blocks.map((b) => b.target)).toEqual([
      '10.1.0.0',
      '10.2.0.1',
    ]);
  });

  it('keeps going after a failed update', async () => {
    const store = await open();
    const failed = store.update(() => {
      throw new Error('first fails');
    });
    const next = store.update((s) => {
      s.blocks.push(block('10.0.0.3'));
    });
    await expect(failed).rejects.toThrow('first fails');
    await next;
    expect(stateSchema.parse(await readState()).blocks.map((b) => b.target)).toEqual(['10.0.0.3']);
  });

  it('settles only once every waiting change is on disk, a change made during a write included', async () => {
    const store = await open();
    await store.settled(); // idle: at once
    const first = store.update((s) => {
      s.blocks.push(block('10.0.0.4'));
    });
    // Queued behind the first write, as a peer message during a stop would be.
    void first.then(() => store.update((s) => void s.blocks.push(block('10.0.0.5'))));
    void store
      .update(() => {
        throw new Error('refused');
      })
      .catch(() => {});
    await store.settled();
    expect(stateSchema.parse(await readState()).blocks.map((b) => b.target)).toEqual([
      '10.0.0.4',
      '10.0.0.5',
    ]);
    expect((await readdir(dataDir)).sort()).toEqual(['state.json']);
  });

  it('closes after the changes waiting, then refuses every later one and writes nothing', async () => {
    const store = await open();
    const waiting = store.update((s) => void s.blocks.push(block('10.0.0.6')));
    await store.close();
    await waiting;
    const before = await readFile(stateFile(), 'utf8');
    await expect(store.update((s) => void s.blocks.push(block('10.0.0.7')))).rejects.toThrow(
      StateStoreClosedError,
    );
    expect(await readFile(stateFile(), 'utf8')).toBe(before);
    expect(store.data.blocks.map((b) => b.target)).toEqual(['10.0.0.6']);
  });

  it('refuses to write a state it could not read back, so one bad entry cannot wipe the file at the next start', async () => {
    const store = await open();
    await store.update((s) => {
      s.blocks.push(block('10.0.0.1'));
    });
    await expect(
      store.update((s) => {
        s.blocks.push({ ...block('10.0.0.2'), createdBy: '' });
      }),
    ).rejects.toThrow(/blocks\.1\.createdBy/);
    expect(store.data.blocks).toHaveLength(1);
    const reopened = await open();
    expect(reopened.corruption).toBeNull();
    expect(reopened.data.blocks.map((b) => b.target)).toEqual(['10.0.0.1']);
  });

  it('keeps committed entries frozen, read from disk or written: a change that edits one in place fails and changes nothing', async () => {
    const first = await open();
    await first.update((s) => {
      s.blocks.push(block('10.0.0.1'));
    });
    expect(Object.isFrozen(first.data.blocks[0])).toBe(true);
    const store = await open();
    expect(Object.isFrozen(store.data.blocks[0])).toBe(true);
    await expect(
      store.update((s) => {
        (s.blocks[0] as { reason: string }).reason = 'edited in place';
      }),
    ).rejects.toThrow(TypeError);
    await store.update((s) => {
      s.blocks[0] = { ...(s.blocks[0] as ReturnType<typeof block>), reason: 'replaced' };
    });
    expect(store.data.blocks[0]?.reason).toBe('replaced');
    expect(await readState()).toMatchObject({ blocks: [{ target: '10.0.0.1', reason: 'replaced' }] });
  });

  it('refuses a change that adds an element frozen only on the surface: memory and disk stay as they were', async () => {
    const store = await open();
    const nested = { ...block('10.0.0.1'), extra: { kept: ['a'] } };
    await expect(
      store.update((s) => {
        s.blocks.push(Object.freeze(nested));
      }),
    ).rejects.toThrow(/blocks is frozen but holds objects that are not/);
    expect(store.data.blocks).toEqual([]);
    expect(await readState()).toEqual(emptyState());
  });

  it('does not let a change mutate the live state before the write succeeds', async () => {
    const store = await open();
    let seenDuringChange: number | undefined;
    await store.update((s) => {
      s.blocks.push(block('10.0.0.1'));
      seenDuringChange = store.data.blocks.length;
    });
    expect(seenDuringChange).toBe(0);
    expect(store.data.blocks).toHaveLength(1);
  });
});

describe('corrupt state files', () => {
  const corruptMovedTo = `${path.join('state.json')}.corrupt-2024-03-01T12-34-56-789Z`;

  it.each([
    ['garbage', 'this is not json {'],
    ['an empty file', ''],
    ['valid JSON of the wrong shape', JSON.stringify({ version: 1, blocks: 'nope' })],
    ['a future version', JSON.stringify({ ...emptyState(), version: 2 })],
    [
      'an entry with a bad timestamp',
      JSON.stringify({ ...emptyState(), blocks: [{ ...block('1.2.3.4'), createdAt: 'yesterday' }] }),
    ],
  ])('moves %s aside byte for byte, reports it and starts empty', async (_name, content) => {
    await writeFile(stateFile(), content);
    const store = await open();
    expect(store.corruption).toEqual({
      file: stateFile(),
      movedTo: path.join(dataDir, corruptMovedTo),
      problem: expect.any(String),
    });
    expect(await readFile(path.join(dataDir, corruptMovedTo), 'utf8')).toBe(content);
    expect(store.data).toEqual(emptyState());
    expect(await readState()).toEqual(emptyState());
    expect((await readdir(dataDir)).sort()).toEqual([corruptMovedTo, 'state.json'].sort());
  });

  it('says what was wrong', async () => {
    await writeFile(stateFile(), 'nope');
    expect((await open()).corruption?.problem).toMatch(/not valid JSON/);
    await writeFile(stateFile(), JSON.stringify({ ...emptyState(), audit: [{ at: 'x' }] }));
    expect(
      (await openStateStore({ dataDir, now: () => new Date(FIXED.getTime() + 1) })).corruption?.problem,
    ).toMatch(/invalid state at audit\.0/);
  });

  it('keeps a file with a damaged UTF-8 byte aside instead of rewriting the text with U+FFFD', async () => {
    const text = JSON.stringify({ ...emptyState(), blocks: [{ ...block('1.2.3.4'), reason: 'Müller' }] });
    const bytes = Buffer.from(text, 'utf8');
    bytes[bytes.indexOf(0xc3)] = 0xff; // the first byte of ü
    await writeFile(stateFile(), bytes);
    const store = await open();
    expect(store.corruption?.problem).toBe('not valid UTF-8');
    expect((await readFile(path.join(dataDir, corruptMovedTo))).equals(bytes)).toBe(true);
    expect(store.data.blocks).toEqual([]);
  });

  it('opened read-only, leaves a corrupt file where it is and names it', async () => {
    await writeFile(stateFile(), '{"version": 1,');
    await expect(openStateStore({ dataDir, readOnly: true })).rejects.toThrow(
      `${stateFile()} is corrupt (not valid JSON:`,
    );
    expect(await readdir(dataDir)).toEqual(['state.json']);
  });

  it('a reopened store after a corruption is healthy and keeps new writes', async () => {
    await writeFile(stateFile(), '{');
    const store = await open();
    await store.update((s) => {
      s.blocks.push(block('10.0.0.9'));
    });
    const reopened = await open();
    expect(reopened.corruption).toBeNull();
    expect(reopened.data.blocks.map((b) => b.target)).toEqual(['10.0.0.9']);
  });
});
