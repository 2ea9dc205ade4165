/** The settings form's editable list of rate-limit rules: one row of inputs per rule. */
import { button, h } from '../dom.js';
import { emptyRateLimitRow, type RateLimitRow } from '../settings-form.js';

type Key = keyof RateLimitRow;

/** `label` is shown; `name` is the accessible name (with the rule number in front). */
const COLUMNS: readonly {
  key: Key;
  label: string;
  name: string;
  field: string;
  placeholder: string;
  size?: string;
  /** One item per line (paths may hold commas and spaces); grows with its lines. */
  multiline?: boolean;
}[] = [
  { key: 'name', label: 'Name', name: 'name', field: 'name', placeholder: 'login' },
  {
    key: 'paths',
    label: 'Paths, one per line',
    name: 'paths',
    field: 'paths',
    placeholder: '/login\n/api/**',
    size: 'wide',
    multiline: true,
  },
  { key: 'methods', label: 'Methods', name: 'methods', field: 'methods', placeholder: 'POST' },
  {
    key: 'anonMax',
    label: 'Anonymous max',
    name: 'anonymous max',
    field: 'anonymous.max',
    placeholder: '5',
    size: 'short',
  },
  {
    key: 'anonPeriod',
    label: 'per',
    name: 'anonymous period',
    field: 'anonymous.period',
    placeholder: '1m',
    size: 'short',
  },
  {
    key: 'authMax',
    label: 'Signed-in max',
    name: 'signed-in max',
    field: 'authenticated.max',
    placeholder: 'none',
    size: 'short',
  },
  {
    key: 'authPeriod',
    label: 'per',
    name: 'signed-in period',
    field: 'authenticated.period',
    placeholder: '—',
    size: 'short',
  },
];

export interface RateLimitEditor {
  element: HTMLElement;
  values(): RateLimitRow[];
}

export function rateLimitEditor(initial: readonly RateLimitRow[]): RateLimitEditor {
  const rows: { values: RateLimitRow; element: HTMLElement }[] = [];
  const list = h('div', { class: 'rule-list' });

  function renumber(): void {
    rows.forEach((r, i) => {
      for (const input of r.element.querySelectorAll<HTMLElement>('[data-column]')) {
        const column = COLUMNS.find((c) => c.key === input.dataset.column);
        if (column === undefined) continue;
        input.dataset.field = `rateLimits.${i}.${column.field}`;
        input.setAttribute('aria-label', `Rule ${i + 1} ${column.name}`);
      }
      const remove = r.element.querySelector('button');
      remove?.setAttribute('aria-label', `Remove rule ${i + 1}${r.values.name ? ` (${r.values.name})` : ''}`);
    });
    empty.hidden = rows.length > 0;
  }

  function addRow(values: RateLimitRow): void {
    const entry = { values: { ...values }, element: h('div', { class: 'rule-row' }) };
    for (const column of COLUMNS) {
      const options = {
        class: column.size === undefined ? '' : `input-${column.size}`,
        attrs: { placeholder: column.placeholder, autocomplete: 'off', spellcheck: 'false' },
        data: { column: column.key },
      };
      const input = column.multiline
        ? h('textarea', options)
        : h('input', { ...options, attrs: { ...options.attrs, type: 'text' } });
      input.value = entry.values[column.key];
      const fitRows = () => {
        if (input instanceof HTMLTextAreaElement) input.rows = Math.max(1, input.value.split('\n').length);
      };
      fitRows();
      input.addEventListener('input', () => {
        entry.values[column.key] = input.value;
        fitRows();
      });
      entry.element.append(
        h(
          'label',
          { class: 'rule-field' },
          h('span', { class: 'field-label', attrs: { 'aria-hidden': 'true' } }, column.label),
          input,
        ),
      );
    }
    entry.element.append(
      button(
        'Remove',
        () => {
          rows.splice(rows.indexOf(entry), 1);
          entry.element.remove();
          renumber();
          add.focus();
        },
        { variant: 'small' },
      ),
    );
    rows.push(entry);
    list.append(entry.element);
    renumber();
  }

  const empty = h('p', { class: 'muted' }, 'No rate limits: every client may send as fast as it likes.');
  const add = button(
    'Add rule',
    () => {
      addRow(emptyRateLimitRow());
      rows.at(-1)?.element.querySelector('input')?.focus();
    },
    { variant: 'small' },
  );
  for (const values of initial) addRow(values);
  renumber();
  return { element: h('div', null, list, empty, add), values: () => rows.map((r) => ({ ...r.values })) };
}
