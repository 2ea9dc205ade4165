/**
 * Import logs: pick an access log (plain or gzip), choose its format or let ipwarden tell, and
 * watch it stream into the running appliance (`POST /api/import`) with a progress bar; then the
 * summary, the first rejected lines by number, and a link to the imported records. Rejection
 * reasons quote the file's lines: they are shown as text only.
 */
import { errorMessage, get, isQuiet, post, upload } from '../api.js';
import { badge, button, field, h, select } from '../dom.js';
import {
  allRejectedMessage,
  importedHoursQuery,
  importedRequestsHash,
  importPercent,
  type MonitorRunAnswer,
  monitorRunText,
  type ProgressCounts,
  progressText,
  summaryRows,
  unlistedRejections,
} from '../import-summary.js';
import type { ImportFormat, ImportJob, ImportSummary } from '../types.js';
import { errorBox, pageHeader, type View } from './view.js';

const FORMATS: readonly (readonly [ImportFormat, string])[] = [
  ['auto', 'Detect from the first lines'],
  ['combined', 'Apache / nginx combined'],
  ['common', 'Apache common (CLF)'],
  ['nginx-json', 'nginx JSON'],
  ['ecs-ndjson', 'ECS NDJSON (ipwarden export, Filebeat, Vector)'],
];
/** How often the running import's counts are fetched while the file uploads, ms. */
const POLL_MS = 300;

function progressBar(progress: ProgressCounts): HTMLElement {
  const percent = importPercent(progress);
  const bar = h('progress', { attrs: { max: 100, 'aria-label': 'Import progress' } });
  if (percent !== null) bar.value = percent; // without a value the bar shows "busy"
  return h(
    'div',
    { class: 'import-progress', data: { testid: 'import-progress' } },
    bar,
    h('p', { attrs: { role: 'status' } }, progressText(progress)),
  );
}

function summaryView(source: string, summary: ImportSummary): HTMLElement {
  const link = importedRequestsHash(summary);
  const more = unlistedRejections(summary);
  const failed = allRejectedMessage(summary);
  return h(
    'section',
    { class: 'card', data: { testid: 'import-summary' }, attrs: { 'aria-label': 'Import summary' } },
    h('h2', { class: 'card-title' }, 'Imported ', h('span', { class: 'mono' }, source)),
    failed === null
      ? null
      : h(
          'div',
          { class: 'error-box', attrs: { role: 'alert' }, data: { testid: 'import-failed' } },
          h('p', null, failed),
        ),
    h(
      'dl',
      { class: 'import-counts' },
      ...summaryRows(summary).flatMap(([label, value]) => [h('dt', null, label), h('dd', null, value)]),
    ),
    summary.beyondRetention === undefined
      ? null
      : h(
          'p',
          { data: { testid: 'import-retention' } },
          badge('deleted at the next retention run', 'warning'),
          ` Records before ${summary.beyondRetention.firstKeptDay} are older than the ${summary.beyondRetention.retentionDays}-day retention: the retention job deletes them at its next run (00:30 UTC). To keep them, raise "Keep request log for" in `,
          h('a', { attrs: { href: '#/settings' } }, 'Settings'),
          '.',
        ),
    summary.rejections.length === 0
      ? null
      : h(
          'div',
          { data: { testid: 'import-rejections' } },
          h('h3', null, 'Rejected lines'),
          h(
            'ul',
            { class: 'import-rejections' },
            ...summary.rejections.map((r) =>
              h(
                'li',
                null,
                h('span', { class: 'mono' }, `line ${r.line.toLocaleString('en')}`),
                `: ${r.reason}`,
              ),
            ),
            more > 0 ? h('li', { class: 'muted' }, `… and ${more.toLocaleString('en')} more`) : null,
          ),
        ),
    link === null
      ? null
      : h('p', null, h('a', { attrs: { href: link } }, 'See the imported records in the request log')),
    detectionOffer(summary),
  );
}

/**
 * Imported records raise no flags by themselves (detection counts live traffic): offers the monitor
 * over their hours, as `ipwarden monitor --since` does, and says what it found.
 */
function detectionOffer(summary: ImportSummary): HTMLElement | null {
  const query = importedHoursQuery(summary);
  if (query === null || summary.imported === 0) return null;
  const result = h('p', { attrs: { role: 'status' }, data: { testid: 'import-detection' } });
  const run = button('Look for abuse in these records', () => {
    run.disabled = true;
    result.textContent = 'Running detection over the imported hours…';
    post<MonitorRunAnswer>(`/api/jobs/monitor/run${query}`)
      .then((answer) => {
        result.replaceChildren(
          monitorRunText(answer),
          ' ',
          h('a', { attrs: { href: '#/flags' } }, 'Flagged IPs'),
        );
      })
      .catch((error: unknown) => {
        if (isQuiet(error)) return;
        result.textContent = `Detection failed: ${errorMessage(error)}`;
        run.disabled = false;
      });
  });
  return h(
    'div',
    { class: 'import-detection' },
    h(
      'p',
      { class: 'muted' },
      'Imported records raise no flags by themselves: detection counts live traffic as it passes. Run the hourly rules and the Isolation Forest over the imported hours; flags from old traffic show as evidence but block no one today.',
    ),
    run,
    result,
  );
}

export const importView: View = (root, ctx) => {
  const file = h('input', { attrs: { type: 'file', required: true, 'aria-label': 'Log file' } });
  const format = select(FORMATS, 'auto', { 'aria-label': 'Format' });
  const submit = button('Import', () => undefined, { type: 'submit', variant: 'primary' });
  const status = h('div', { attrs: { 'aria-live': 'polite' } });
  const form = h(
    'form',
    { class: 'card add-form', attrs: { 'aria-label': 'Import a log' } },
    field('Access log (plain or gzip)', file),
    field('Format', format),
    submit,
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (chosen === undefined) return;
    void run(chosen, format.value as ImportFormat);
  });

  async function run(chosen: File, chosenFormat: ImportFormat): Promise<void> {
    submit.disabled = true;
    status.replaceChildren(progressBar({ linesRead: 0, rejected: 0, bytesRead: 0, totalBytes: chosen.size }));
    const poll = setInterval(() => void showRunning(chosen.name), POLL_MS);
    ctx.onLeave(() => clearInterval(poll));
    try {
      const query = new URLSearchParams({ format: chosenFormat, name: chosen.name });
      const answer = await upload<{ import: ImportJob }>(`/api/import?${query}`, chosen, ctx.signal);
      clearInterval(poll);
      const summary = answer.import.summary;
      status.replaceChildren(
        summary ? summaryView(chosen.name, summary) : errorBox('The import gave no summary.'),
      );
    } catch (error) {
      clearInterval(poll);
      if (isQuiet(error)) return;
      status.replaceChildren(errorBox(`Import of ${chosen.name} failed: ${errorMessage(error)}`));
    } finally {
      submit.disabled = false;
    }
  }

  /** Draws the running import's counts (it is this upload's: one import runs at a time). */
  async function showRunning(source: string): Promise<void> {
    try {
      const { imports } = await get<{ imports: ImportJob[] }>('/api/imports', ctx.signal);
      const running = imports.find((job) => job.state === 'running' && job.source === source);
      if (running && status.querySelector('[data-testid="import-progress"]'))
        status.replaceChildren(progressBar(running.progress));
    } catch (error) {
      // A missed poll leaves the bar as it was; the upload's own answer reports real failures.
      if (!isQuiet(error)) console.warn('import progress poll failed', error);
    }
  }

  root.append(
    pageHeader(
      'Import logs',
      'Load access logs your web server already wrote. Each line keeps its own time; importing the same file again adds nothing.',
    ),
    form,
    status,
  );
};
