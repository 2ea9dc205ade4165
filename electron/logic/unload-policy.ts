/**
 * What the desktop window does when the operator UI asks before it is left (the settings page with
 * unsaved changes cancels `beforeunload`). A browser shows its own question; Electron shows none
 * and, unless told otherwise, silently stays, so a Quit would stop the core and leave a window that
 * cannot be closed. Pure, so the rule is tested without Electron.
 */
export type UnloadChoice = 'leave' | 'stay';

/**
 * Leave at once while quitting (the core is already stopping: unsaved form fields cannot be saved
 * anyway); otherwise the operator's answer to `ask` decides.
 */
export function unloadChoice(quitting: boolean, ask: () => UnloadChoice): UnloadChoice {
  return quitting ? 'leave' : ask();
}
