/**
 * The dashboard's range picker: last hour, 24 hours, 7 days, or custom from/to dates. The choice
 * outlives the view, so coming back to the dashboard shows the same range, and the dashboard keeps
 * it in its address (`#/dashboard?range=7d`, `#/dashboard?from=2015-05-17&to=2015-05-20`), so a
 * reload or a shared link shows it too.
 */
import { button, field, h } from '../dom.js';
import { type RangeChoice, type RangePreset, resolveRange } from '../time-range.js';

export { choiceFromQuery, choiceQuery, type RangeChoice, resolveRange } from '../time-range.js';

const PRESETS: readonly [RangePreset, string][] = [
  ['1h', 'Last hour'],
  ['24h', '24 hours'],
  ['7d', '7 days'],
];

let remembered: RangeChoice = { preset: '24h' };

/** The last choice made (24 hours at first). */
export function currentChoice(): RangeChoice {
  return remembered;
}

/** Makes `choice` the current one (the range named in the dashboard's address). */
export function rememberChoice(choice: RangeChoice): void {
  remembered = choice;
}

function isoDate(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Builds the picker; `onChange` gets each new valid choice. */
export function rangePicker(onChange: (choice: RangeChoice) => void): HTMLElement {
  const today = isoDate(Date.now());
  const from = h('input', { attrs: { type: 'date', max: today, required: true } });
  const to = h('input', { attrs: { type: 'date', max: today, required: true } });
  const error = h('span', { class: 'field-error', attrs: { role: 'alert' } });
  const custom = h(
    'form',
    { class: 'range-custom', attrs: { 'aria-label': 'Custom range' } },
    field('From', from),
    field('To', to),
    button('Apply', () => undefined, { type: 'submit', variant: 'small' }),
    error,
  );
  const customButton = button('Custom', () => select('custom'), { variant: 'small' });
  const presetButtons = PRESETS.map(([preset, text]) => {
    const b = button(text, () => choose({ preset }), { variant: 'small' });
    b.dataset.preset = preset;
    return b;
  });

  function select(which: RangePreset | 'custom'): void {
    for (const b of presetButtons) b.setAttribute('aria-pressed', String(b.dataset.preset === which));
    customButton.setAttribute('aria-pressed', String(which === 'custom'));
    custom.hidden = which !== 'custom';
    if (which === 'custom') from.focus();
  }

  function choose(choice: RangeChoice): void {
    remembered = choice;
    select('preset' in choice ? choice.preset : 'custom');
    onChange(choice);
  }

  custom.addEventListener('submit', (event) => {
    event.preventDefault();
    const choice = { from: from.value, to: to.value };
    if (resolveRange(choice) === null) {
      error.textContent = 'Pick a start date on or before the end date.';
      return;
    }
    error.textContent = '';
    choose(choice);
  });

  if ('preset' in remembered) {
    from.value = isoDate(Date.now() - 7 * 86_400_000);
    to.value = today;
    select(remembered.preset);
  } else {
    from.value = remembered.from;
    to.value = remembered.to;
    select('custom');
  }
  return h(
    'div',
    { class: 'range-picker' },
    h(
      'div',
      { class: 'segmented', attrs: { role: 'group', 'aria-label': 'Time range' } },
      ...presetButtons,
      customButton,
    ),
    custom,
  );
}
