/**
 * "Test against history" in the settings view: sends the settings being edited, unsaved, to
 * `POST /api/backtest` with a date range, and shows what they would have changed — IPs newly
 * flagged or blocked, no longer flagged or blocked, their evidence, later successful logins (likely
 * false positives) and 429 counts. Everything a client sent (sample paths) is text, never markup.
 */
import { ApiError, errorMessage, isQuiet, post } from '../api.js';
import type { BacktestIp, BacktestReason, BacktestResult } from '../backtest-types.js';
import { badge, button, type Child, field, h, ipLink, replaceChildren, row, table } from '../dom.js';
import { reasonLabel } from '../evidence.js';
import { formatDateTime, formatNumber } from '../format.js';
import { dateRange } from '../time-range.js';

export interface BacktestPanelOptions {
  /** The candidate settings from the form, or a message naming the bad field. */
  candidate(): { settings: unknown } | { error: string; field: string };
  /** Marks the field a message names (shared with Save). */
  markInvalid(message: string): void;
  signal: AbortSignal;
}

function isoDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The panel: a From/To date range, the Run button, and the result below. */
export function backtestPanel(options: BacktestPanelOptions): HTMLElement {
  const from = dateInput('backtest-from', isoDay(Date.now() - 7 * 86_400_000), () => void start());
  const to = dateInput('backtest-to', isoDay(Date.now()), () => void start());
  const status = h('p', {
    class: 'form-message',
    attrs: { role: 'status' },
    data: { testid: 'backtest-status' },
  });
  const result = h('div', { class: 'backtest-result', data: { testid: 'backtest-result' } });
  const run = button('Test against history', () => void start(), { variant: 'primary' });

  async function start(): Promise<void> {
    status.classList.remove('is-error');
    const range = dateRange(from.value, to.value, Date.now());
    if (range === null) return fail('Pick a start date on or before the end date.');
    const candidate = options.candidate();
    if ('error' in candidate) {
      options.markInvalid(candidate.field);
      return fail(candidate.error);
    }
    run.disabled = true;
    status.textContent = 'Running detection over the request log…';
    result.replaceChildren();
    try {
      const answer = await fetchBacktest(candidate.settings, range, options.signal);
      status.textContent = '';
      if (answer) replaceChildren(result, ...renderResult(answer));
    } catch (error) {
      if (isQuiet(error)) return;
      if (error instanceof ApiError && error.status === 400) options.markInvalid(errorMessage(error));
      fail(`Backtest failed: ${errorMessage(error)}`);
    } finally {
      run.disabled = false;
    }
  }

  function fail(message: string): void {
    result.replaceChildren(); // an earlier result no longer answers what the form now says
    status.textContent = message;
    status.classList.add('is-error');
  }

  return h(
    'section',
    { class: 'backtest-panel', attrs: { 'aria-label': 'Test against history' } },
    h(
      'p',
      { class: 'muted small' },
      'Before saving, see what these settings would have done over past traffic. Nothing is flagged, blocked or saved.',
    ),
    h('div', { class: 'field-grid' }, field('From', from), field('To', to, 'inclusive, your time zone')),
    h('div', { class: 'toolbar' }, run, status),
    result,
  );
}

/** A date field; Enter runs `onEnter` instead of submitting the surrounding settings form (Save). */
function dateInput(testid: string, value: string, onEnter: () => void): HTMLInputElement {
  const input = h('input', { attrs: { type: 'date', required: true }, data: { testid } });
  input.value = value;
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    onEnter();
  });
  return input;
}

async function fetchBacktest(
  settings: unknown,
  range: { since: number; until: number },
  signal: AbortSignal,
): Promise<BacktestResult | undefined> {
  const body = {
    settings,
    since: new Date(range.since).toISOString(),
    until: new Date(range.until).toISOString(),
  };
  return (await post<{ backtest: BacktestResult }>('/api/backtest', body, signal))?.backtest;
}

function renderResult(r: BacktestResult): Child[] {
  const { table: totals, body } = table('Totals', [
    '',
    'Requests',
    'Flagged IPs',
    'Auto-blocked IPs',
    '429 answers',
  ]);
  for (const [name, side] of [
    ['Current settings', r.current],
    ['These settings', r.candidate],
  ] as const) {
    body.append(
      row(
        name,
        ...[side.records, side.flaggedIps, side.blockedIps, side.rateLimitedRequests].map((n) =>
          formatNumber(n),
        ),
      ),
    );
  }
  const { diff } = r;
  return [
    h('h3', null, `${formatDateTime(r.since)} – ${formatDateTime(r.until)}`),
    totals,
    r.candidate.lateRecords > 0
      ? h(
          'p',
          { class: 'muted small' },
          `${formatNumber(r.candidate.lateRecords)} records found in a later day’s segment of the log were left out.`,
        )
      : null,
    ipTable('Newly flagged', diff.newlyFlagged),
    ipTable('No longer flagged', diff.noLongerFlagged),
    ipTable('Flagged for other reasons', diff.reasonsChanged),
    ipTable('Newly auto-blocked', diff.newlyBlocked),
    ipTable('No longer auto-blocked', diff.noLongerBlocked),
    rateLimitTable(diff.rateLimited),
  ];
}

function ipTable(title: string, ips: BacktestIp[]): HTMLElement {
  const heading = h('h4', null, `${title}: ${formatNumber(ips.length)}`);
  if (ips.length === 0) return h('div', { data: { testid: `backtest-${slug(title)}` } }, heading);
  const { table: element, body } = table(title, ['IP', 'Evidence', 'First', 'Later logins'], {
    hiddenCaption: true,
  });
  for (const entry of ips) {
    const logins = entry.likelyFalsePositive
      ? h('span', null, formatNumber(entry.laterLogins), ' ', badge('likely false positive', 'warning'))
      : '0';
    const first = entry.reasons.map((x) => x.firstAt).sort()[0];
    body.append(
      row(
        h('span', null, ipLink(entry.ip), entry.alreadyBlocked ? badge('already blocked', 'danger') : null),
        h('div', null, ...entry.reasons.map(reasonLine)),
        first === undefined ? '' : formatDateTime(first),
        logins,
      ),
    );
  }
  return h(
    'div',
    { data: { testid: `backtest-${slug(title)}` } },
    heading,
    h('div', { class: 'table-scroll' }, element),
  );
}

function reasonLine(x: BacktestReason): HTMLElement {
  const measure =
    x.score !== undefined
      ? `score ${x.score}`
      : `${formatNumber(x.count)} > ${formatNumber(x.threshold ?? 0)}`;
  const paths = Array.isArray(x.details.samplePaths)
    ? x.details.samplePaths.filter((p): p is string => typeof p === 'string').slice(0, 3)
    : [];
  return h(
    'div',
    null,
    `${reasonLabel(x.reason)}: ${measure} in ${formatNumber(x.windows)} window${x.windows === 1 ? '' : 's'}`,
    paths.length > 0 ? h('div', { class: 'muted small mono' }, paths.join('  ')) : null,
  );
}

function rateLimitTable(rows: BacktestResult['diff']['rateLimited']): HTMLElement {
  const heading = h('h4', null, `Rate limits that change: ${formatNumber(rows.length)}`);
  if (rows.length === 0) return h('div', null, heading);
  const { table: element, body } = table(
    'Rate limits',
    ['IP', 'Rule', '429 answers now', '429 answers with these settings'],
    {
      hiddenCaption: true,
    },
  );
  for (const r of rows)
    body.append(row(ipLink(r.ip), r.rule, formatNumber(r.current), formatNumber(r.candidate)));
  return h('div', null, heading, h('div', { class: 'table-scroll' }, element));
}

function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z]+/g, '-');
}
