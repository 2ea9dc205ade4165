/**
 * The lists view's add form: an IP or CIDR, a reason, which list, and (for the blocklist) an
 * expiry. It adds through `POST /api/blocks` or `POST /api/allowlist` (see actions.ts, which asks
 * before a block that would cover the operator), then clears itself and calls `added`.
 */
import { allowTarget, BLOCK_DURATIONS, blockTarget, busy, DEFAULT_BLOCK_DURATION } from '../actions.js';
import { button, field, h, select } from '../dom.js';

/** The form; `added` runs after an entry was added (to reload the lists). */
export function listAddForm(added: () => Promise<void>): HTMLFormElement {
  const target = h('input', {
    attrs: {
      type: 'text',
      required: true,
      placeholder: '203.0.113.7 or 198.51.100.0/24',
      autocomplete: 'off',
      spellcheck: 'false',
    },
  });
  const reason = h('input', {
    attrs: { type: 'text', placeholder: 'why (shown in the audit trail)', maxlength: 500 },
  });
  const list = select(
    [
      ['block', 'Blocklist'],
      ['allow', 'Allowlist'],
    ],
    'block',
  );
  const expiry = select(BLOCK_DURATIONS, DEFAULT_BLOCK_DURATION);
  const expiryField = field('Expires after', expiry);
  list.addEventListener('change', () => {
    expiryField.hidden = list.value !== 'block';
  });
  const submit = button('Add', () => undefined, { type: 'submit', variant: 'primary' });
  const form = h(
    'form',
    { class: 'card add-form', attrs: { 'aria-label': 'Add to a list' } },
    field('IP or CIDR', target),
    field('Reason', reason),
    field('List', list),
    expiryField,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = target.value.trim();
    if (value === '') return;
    // Blank is sent as blank: an entry this replaces keeps its reason, as with the CLI and the API.
    const text = reason.value.trim();
    void busy(submit, async () => {
      const ok =
        list.value === 'block'
          ? await blockTarget(value, text, expiry.value)
          : await allowTarget(value, text);
      if (ok) {
        target.value = '';
        reason.value = '';
        await added();
      }
      target.focus();
    });
  });

  return form;
}
