/**
 * What the app does with each `before-quit` (Electron emits one per Quit: the tray, Cmd/Ctrl+Q,
 * the Dock, a system shutdown). Pure, so the order is tested without Electron.
 */
export type QuitStep =
  /** Nothing runs (any more): let the app quit. */
  | 'quit'
  /** The core runs: hold the quit (`preventDefault`), stop the core, then quit again. */
  | 'stop'
  /** The core is stopping (a second Quit): hold the quit, or the exit cuts the request-log flush short. */
  | 'wait';

export class QuitPolicy {
  #stopping = false;

  /** The step for a `before-quit` while the core runs (`coreRunning`) or not. */
  onBeforeQuit(coreRunning: boolean): QuitStep {
    if (!coreRunning) return 'quit';
    if (this.#stopping) return 'wait';
    this.#stopping = true;
    return 'stop';
  }

  /** True once a quit has begun: closing the window then closes it instead of hiding it. */
  get quitting(): boolean {
    return this.#stopping;
  }
}
