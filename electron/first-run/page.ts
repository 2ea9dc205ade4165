/**
 * The setup screen's script: validates as you type with the same rules the main process applies,
 * then saves through `window.ipwarden.saveSetup`. Runs sandboxed; bundled by electron/build.mjs.
 */
import type { IpwardenBridge, SetupForm } from '../ipc.js';
import { type FirstRunErrors, validateFirstRun } from '../logic/first-run-validation.js';

declare global {
  interface Window {
    ipwarden: IpwardenBridge;
  }
}

const FIELDS = ['upstream', 'proxyPort'] as const;

function input(id: (typeof FIELDS)[number]): HTMLInputElement {
  return document.getElementById(id) as HTMLInputElement;
}

function readForm(): SetupForm {
  return { upstream: input('upstream').value, proxyPort: input('proxyPort').value };
}

function showErrors(errors: FirstRunErrors, touched: ReadonlySet<string>): void {
  for (const field of FIELDS) {
    const message = touched.has(field) ? (errors[field] ?? '') : '';
    (document.getElementById(`${field}-error`) as HTMLElement).textContent = message;
    input(field).setAttribute('aria-invalid', String(message !== ''));
  }
}

async function main(): Promise<void> {
  const defaults = await window.ipwarden.setupDefaults();
  input('upstream').value = defaults.upstream;
  input('proxyPort').value = defaults.proxyPort;
  const problem = document.getElementById('problem') as HTMLElement;
  if (defaults.problem) {
    problem.textContent = defaults.problem;
    problem.hidden = false;
  }
  (document.getElementById('version') as HTMLElement).textContent =
    `ipwarden ${await window.ipwarden.appVersion()}`;
  const touched = new Set<string>();
  const form = document.getElementById('setup') as HTMLFormElement;
  form.addEventListener('input', (event) => {
    touched.add((event.target as HTMLInputElement).id);
    const result = validateFirstRun(readForm());
    showErrors(result.ok ? {} : result.errors, touched);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const field of FIELDS) touched.add(field);
    void window.ipwarden.saveSetup(readForm()).then((result) => {
      showErrors(result.ok ? {} : result.errors, touched);
    });
  });
}

void main();
