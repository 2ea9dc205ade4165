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

/** The native question asked (`dialog.showMessageBoxSync` options): Leave first, Stay the default and Escape. */
export const UNLOAD_QUESTION = {
  type: 'question' as const,
  buttons: ['Leave', 'Stay'],
  defaultId: 1,
  cancelId: 1,
  message: 'Leave this page?',
  detail: 'The settings form has changes that are not saved.',
};

/** The choice a button of {@link UNLOAD_QUESTION} stands for (by its index); anything else stays. */
export function choiceOfButton(index: number): UnloadChoice {
  return UNLOAD_QUESTION.buttons[index] === 'Leave' ? 'leave' : 'stay';
}
