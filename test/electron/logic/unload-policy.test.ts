import { describe, expect, it } from 'vitest';
import { choiceOfButton, UNLOAD_QUESTION, unloadChoice } from '../../../electron/logic/unload-policy.js';

describe('leaving a page that asks first (unsaved settings)', () => {
  it('leaves without asking while quitting, so Quit never leaves a window that cannot close', () => {
    let asked = 0;
    const ask = () => {
      asked++;
      return 'stay' as const;
    };
    expect(unloadChoice(true, ask)).toBe('leave');
    expect(asked).toBe(0);
  });

  it('otherwise does what the operator answers', () => {
    expect(unloadChoice(false, () => 'stay')).toBe('stay');
    expect(unloadChoice(false, () => 'leave')).toBe('leave');
  });

  it('maps the dialog: Leave leaves; Stay, the default and Escape, stays', () => {
    expect(choiceOfButton(UNLOAD_QUESTION.buttons.indexOf('Leave'))).toBe('leave');
    expect(choiceOfButton(UNLOAD_QUESTION.defaultId)).toBe('stay');
    expect(choiceOfButton(UNLOAD_QUESTION.cancelId)).toBe('stay');
    expect(choiceOfButton(7)).toBe('stay');
  });
});
