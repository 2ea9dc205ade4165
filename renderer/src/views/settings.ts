/**
 * Settings: detection thresholds, path lists, flag and retention durations, rate-limit rules and
 * trusted proxies. Save sends `PUT /api/settings`; the server's validation message is shown next
 * to the form and the field it names is marked. Saved settings apply without a restart.
 */
import { ApiError, errorMessage, get, isQuiet, put } from '../api.js';
import { backtestPanel } from '../components/backtest-panel.js';
import { rateLimitEditor } from '../components/rate-limit-editor.js';
import { button, field, h } from '../dom.js';
import { reasonLabel } from '../evidence.js';
import {
  fieldInMessage,
  fromFormValues,
  isFieldError,
  type SettingsFormValues,
  settingsChanges,
  THRESHOLD_NAMES,
  toFormValues,
} from '../settings-form.js';
import { toast } from '../toast.js';
import type { Settings, ThresholdName } from '../types.js';
import { loading, pageHeader, showError, type View } from './view.js';

const THRESHOLD_HINTS: Readonly<Record<ThresholdName, string>> = {
  high_volume: 'requests per IP per hour',
  brute_force: 'requests per IP per hour',
  sensitive_paths: 'hits on sensitive paths per hour',
  failed_logins: 'failed logins per hour',
  admin_access: 'hits on admin paths per hour',
};

function input(
  value: string,
  fieldName: string,
  attrs: Record<string, string | number> = {},
): HTMLInputElement {
  const element = h('input', {
    attrs: { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs },
    data: { field: fieldName },
  });
  element.value = value;
  return element;
}

function textarea(value: string, fieldName: string): HTMLTextAreaElement {
  const element = h('textarea', { attrs: { rows: 8, spellcheck: 'false' }, data: { field: fieldName } });
  element.value = value;
  return element;
}

function fieldset(legend: string, description: string, ...children: HTMLElement[]): HTMLFieldSetElement {
  return h(
    'fieldset',
    { class: 'card settings-group' },
    h('legend', null, legend),
    h('p', { class: 'muted small' }, description),
    ...children,
  );
}

export const settingsView: View = (root, ctx) => {
  const body = h('div', null, loading());
  root.append(
    pageHeader('Settings', 'Detection, rate limits and retention. Changes apply as soon as they are saved.'),
    body,
  );
  /** What the form on screen would lose on leaving, if anything (see `unsavedChanges`). */
  let unsaved: () => string | null = () => null;
  ctx.guardLeave(() => unsaved());
  /** Closes the "Saved" toasts still up: they must not stand over a later save's failure. */
  const savedToasts: (() => void)[] = [];

  async function load(): Promise<void> {
    try {
      const { settings } = await get<{ settings: Settings }>('/api/settings', ctx.signal);
      body.replaceChildren(settingsForm(settings));
    } catch (error) {
      showError(body, error, () => void load());
    }
  }

  /** The form for `initial`, the settings in force; `notice` is shown in its message line. */
  function settingsForm(initial: Settings, notice = ''): HTMLFormElement {
    let base = initial;
    const v = toFormValues(initial);
    const thresholds = Object.fromEntries(
      THRESHOLD_NAMES.map((name) => [
        name,
        input(v.thresholds[name], `detection.thresholds.${name}`, { inputmode: 'numeric' }),
      ]),
    ) as Record<ThresholdName, HTMLInputElement>;
    const paths = {
      sensitivePaths: textarea(v.sensitivePaths, 'detection.sensitivePaths'),
      adminPaths: textarea(v.adminPaths, 'detection.adminPaths'),
      loginPaths: textarea(v.loginPaths, 'detection.loginPaths'),
    };
    const failedLoginStatuses = input(v.failedLoginStatuses, 'detection.failedLoginStatuses');
    const durations = {
      flagTtl: input(v.flagTtl, 'detection.flagTtl'),
      autoBlockReasons: input(v.autoBlockReasons, 'detection.autoBlockReasons', { inputmode: 'numeric' }),
      autoBlockFor: input(v.autoBlockFor, 'detection.autoBlockFor'),
      retention: input(v.retention, 'detection.retention'),
    };
    const trustProxy = textarea(v.trustProxy, 'trustProxy');
    const rules = rateLimitEditor(v.rateLimits);
    const message = h('p', {
      class: 'form-message',
      attrs: { role: 'alert', id: 'settings-message' },
      data: { testid: 'settings-message' },
    });
    message.textContent = notice;
    const save = button('Save', () => undefined, { type: 'submit', variant: 'primary' });
    // Says, beside Save, that the form holds changes not saved yet.
    const pending = h(
      'span',
      { class: 'badge badge-warning', data: { testid: 'settings-unsaved' } },
      'Unsaved changes',
    );
    pending.hidden = true;

    const form = h(
      'form',
      { class: 'settings-form', attrs: { 'aria-label': 'Settings', novalidate: true } },
      fieldset(
        'Detection thresholds',
        'An IP is flagged when its count in one hour goes above the threshold.',
        h(
          'div',
          { class: 'field-grid' },
          ...THRESHOLD_NAMES.map((name) =>
            field(reasonLabel(name), thresholds[name], `> ${THRESHOLD_HINTS[name]}`),
          ),
        ),
      ),
      fieldset(
        'Paths',
        'One path or pattern per line. * matches within a segment, ** across segments.',
        h(
          'div',
          { class: 'field-grid' },
          field('Sensitive paths', paths.sensitivePaths),
          field('Admin paths', paths.adminPaths),
          field(
            'Login paths',
            paths.loginPaths,
            'an answer with a failed-login status counts as a failed login',
          ),
          field(
            'Failed-login statuses',
            failedLoginStatuses,
            'what your site answers a wrong password with, e.g. 401, 403 (a site that answers 200 or 302 needs that status here)',
          ),
        ),
      ),
      fieldset(
        'Flags, auto-block and retention',
        'Durations like 30m, 12h, 7d or 90d.',
        h(
          'div',
          { class: 'field-grid' },
          field('Flags expire after', durations.flagTtl, 'without a new sighting'),
          field('Auto-block at', durations.autoBlockReasons, 'distinct active reasons'),
          field('Auto-block for', durations.autoBlockFor),
          field('Keep request log for', durations.retention),
        ),
      ),
      fieldset(
        'Rate limits',
        'Requests over the limit get 429. Signed-in limits apply to sessions your site vouched for.',
        rules.element,
      ),
      fieldset(
        'Trusted proxies',
        'One CIDR per line (or loopback). Only these peers’ X-Forwarded-For (or Forwarded, with --forwarded-header forwarded) is believed.',
        field('Trusted proxies', trustProxy),
      ),
      fieldset(
        'Test against history',
        'Run detection with the settings above over a past range of the request log and compare.',
        backtestPanel({
          candidate: () => {
            const next = fromFormValues(values(), base);
            return isFieldError(next) ? { error: next.message, field: next.field } : { settings: next };
          },
          markInvalid: (text) => markInvalid(text),
          signal: ctx.signal,
        }),
      ),
      h('div', { class: 'form-footer' }, save, pending, message),
    );

    const values = (): SettingsFormValues => ({
      thresholds: Object.fromEntries(THRESHOLD_NAMES.map((name) => [name, thresholds[name].value])) as Record<
        ThresholdName,
        string
      >,
      sensitivePaths: paths.sensitivePaths.value,
      adminPaths: paths.adminPaths.value,
      loginPaths: paths.loginPaths.value,
      failedLoginStatuses: failedLoginStatuses.value,
      flagTtl: durations.flagTtl.value,
      autoBlockReasons: durations.autoBlockReasons.value,
      autoBlockFor: durations.autoBlockFor.value,
      retention: durations.retention.value,
      rateLimits: rules.values(),
      trustProxy: trustProxy.value,
    });

    let shownValues = JSON.stringify(values());
    unsaved = () => {
      const now = values();
      if (JSON.stringify(now) === shownValues) return null;
      const next = fromFormValues(now, base);
      if (!isFieldError(next) && Object.keys(settingsChanges(next, base)).length === 0) return null;
      return 'The settings form has changes that are not saved.';
    };
    const showPending = () => {
      pending.hidden = unsaved() === null;
    };
    form.addEventListener('input', showPending);
    form.addEventListener('click', () => queueMicrotask(showPending)); // Add rule / Remove

    const markInvalid = (text: string) => {
      const fields = [...form.querySelectorAll<HTMLElement>('[data-field]')];
      const name = fieldInMessage(
        text,
        fields.map((f) => f.dataset.field ?? ''),
      );
      const target = fields.find((f) => f.dataset.field === name);
      if (target === undefined) return;
      target.setAttribute('aria-invalid', 'true');
      target.setAttribute('aria-describedby', 'settings-message');
      target.focus();
    };

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      for (const f of form.querySelectorAll('[aria-invalid]')) {
        f.removeAttribute('aria-invalid');
        f.removeAttribute('aria-describedby');
      }
      message.textContent = '';
      message.classList.remove('is-error');
      const next = fromFormValues(values(), base);
      if (isFieldError(next)) {
        message.textContent = next.message;
        message.classList.add('is-error');
        markInvalid(next.field);
        return;
      }
      const changes = settingsChanges(next, base);
      if (Object.keys(changes).length === 0) {
        message.textContent = 'Nothing to save: no field was changed.';
        return;
      }
      save.disabled = true;
      form.inert = true; // nothing typed while the change is on its way can be lost
      put<{ settings: Settings }>('/api/settings', changes, ctx.signal)
        .then((answer) => {
          const inForce = answer?.settings ?? next;
          savedToasts.push(toast('Saved — applied without restart'));
          if (Object.keys(settingsChanges(inForce, next)).length === 0) {
            // The form already shows the settings in force; it stays, with any backtest result.
            base = inForce;
            shownValues = JSON.stringify(values());
            showPending();
            message.textContent = 'Saved — applied without restart.';
            return;
          }
          // Changes made elsewhere came in too: show the settings now in force.
          const fresh = settingsForm(
            inForce,
            'Saved — applied without restart. The form also shows changes made elsewhere.',
          );
          form.replaceWith(fresh);
          fresh.querySelector<HTMLButtonElement>('button[type="submit"]')?.focus();
        })
        .catch((error: unknown) => {
          if (isQuiet(error)) return;
          for (const close of savedToasts.splice(0)) close();
          message.textContent =
            error instanceof ApiError && error.status === 400
              ? errorMessage(error)
              : `Not saved: ${errorMessage(error)}`;
          message.classList.add('is-error');
          markInvalid(errorMessage(error));
        })
        .finally(() => {
          save.disabled = false;
          form.inert = false;
        });
    });
    return form;
  }

  void load();
};
