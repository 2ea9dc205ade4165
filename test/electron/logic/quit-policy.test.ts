import { describe, expect, it } from 'vitest';
import { QuitPolicy } from '../../../electron/logic/quit-policy.js';

describe('QuitPolicy', () => {
  it('stops a running core once, holds every Quit while it stops, then lets the app quit', () => {
    const policy = new QuitPolicy();
    expect(policy.quitting).toBe(false);
    expect(policy.onBeforeQuit(true)).toBe('stop');
    expect(policy.quitting).toBe(true);
    // A second Cmd/Ctrl+Q, the Dock's Quit or a shutdown while the request log flushes.
    expect(policy.onBeforeQuit(true)).toBe('wait');
    expect(policy.onBeforeQuit(true)).toBe('wait');
    // The stop finished; the app quits again.
    expect(policy.onBeforeQuit(false)).toBe('quit');
  });

  it('lets the app quit at once when no core runs (the setup screen)', () => {
    expect(new QuitPolicy().onBeforeQuit(false)).toBe('quit');
  });
});
