import { describe, expect, it } from 'vitest';
import { RequestCounter } from '../../../electron/logic/request-counter.js';

describe('RequestCounter', () => {
  it('counts the requests of the last hour, by the minute', () => {
    const clock = { now: Date.UTC(2026, 10, 22, 10, 0, 30) };
    const counter = new RequestCounter(() => clock.now);
    for (let i = 0; i < 3; i++) counter.record();
    clock.now += 30 * 60_000;
    counter.record();
    expect(counter.count()).toBe(4);
    clock.now += 30 * 60_000; // the first minute's bucket leaves the window
    expect(counter.count()).toBe(1);
    clock.now += 31 * 60_000;
    expect(counter.count()).toBe(0);
  });
});
