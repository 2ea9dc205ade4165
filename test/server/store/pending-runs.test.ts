import { describe, expect, it } from 'vitest';
import { type LineBytes, LineEncoder } from '../../../server/store/encode-lines.js';
import { type PendingRun, PendingRuns } from '../../../server/store/pending-runs.js';

const H = 3_600_000;

/** Encodes `texts` one after the other (as the writer does) and queues each in `hours[i]`. */
function queue(pending: PendingRuns, texts: string[], hours: number[], day = '2024-03-01'): void {
  const encoder = new LineEncoder();
  const at: LineBytes = { slab: Buffer.alloc(0), start: 0, end: 0 };
  texts.forEach((text, i) => {
    encoder.encode(text, at);
    pending.push(day, hours[i] as number, at, null);
  });
}

const text = (runs: readonly PendingRun[]) =>
  runs.map((r) => r.slab.toString('utf8', r.start, r.end)).join('');

describe('PendingRuns', () => {
  it('keeps adjacent lines of one hour in one run, and starts a run at a new hour', () => {
    const pending = new PendingRuns();
    queue(pending, ['a', 'b', 'c'], [0, 0, H]);
    expect(pending.lines).toBe(3);
    const runs = pending.take();
    expect(runs.map((r) => [r.hour, r.lines])).toEqual([
      [0, 2],
      [H, 1],
    ]);
    expect(text(runs)).toBe('a\nb\nc\n');
    expect(pending.lines).toBe(0);
  });

  it('drops the oldest line from inside a run, then whole runs', () => {
    const pending = new PendingRuns();
    queue(pending, ['a', 'bb', 'c'], [0, 0, H]);
    pending.dropOldest();
    pending.dropOldest();
    expect(pending.lines).toBe(1);
    expect(text(pending.take())).toBe('c\n');
  });

  it('puts back the lines a write did not finish, split at a line, before those queued since', () => {
    const pending = new PendingRuns();
    queue(pending, ['a', 'b', 'c'], [0, 0, 0]);
    queue(pending, ['x'], [0], '2024-03-02');
    const runs = pending.take();
    queue(pending, ['d'], [0]);
    // One line of 2024-03-01 and none of 2024-03-02 reached the disk.
    expect(pending.putBack(runs, new Map([['2024-03-01', 1]]))).toBe(3);
    expect(pending.lines).toBe(4);
    const again = pending.take();
    expect(text(again)).toBe('b\nc\nx\nd\n');
    expect(again.map((r) => r.day)).toEqual(['2024-03-01', '2024-03-02', '2024-03-01']);
  });
});
