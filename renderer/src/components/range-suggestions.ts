/**
 * Range suggestions on the flagged-IPs view (`GET /api/range-suggestions`): networks holding
 * several flagged IPs, with the IPs, their reasons and the legitimate traffic a range block would
 * also stop. "Block range" goes through `POST /api/blocks` (audited with the reason); "Dismiss"
 * records the dismissal (`POST /api/range-suggestions/dismiss`) so it stays hidden until more of
 * the range's IPs are flagged.
 */
import { blockTarget, busy } from '../actions.js';
import { errorMessage, get, isQuiet, post } from '../api.js';
import type { RangeSuggestion, RangeSuggestionsAnswer } from '../backtest-types.js';
import { badge, button, h, ipLink, preserveFocus } from '../dom.js';
import { reasonLabel } from '../evidence.js';
import { formatNumber } from '../format.js';
import { legitimateTrafficText } from '../suggestion-text.js';
import { toast } from '../toast.js';

/** The block reason recorded for an accepted suggestion. */
export function rangeBlockReason(s: RangeSuggestion): string {
  const reasons = [...new Set(s.ips.flatMap((ip) => ip.reasons))].sort();
  return `range suggestion: ${s.ips.length} flagged IPs (${reasons.join(', ')})`;
}

/**
 * Flagged IPs listed on a card; the rest (up to 248 more in a /24, any number in an IPv6 range)
 * behind "N more flagged IPs", so the flags table stays near the top of the page.
 */
export const LISTED_IPS = 8;

/** Live flag events reload the flags list often; the suggestions (a scan of a day of the log) at most this often. */
const REFRESH_MS = 30_000;

/**
 * The panel; `changed` runs after a block or dismissal (to reload the flags list). `refresh()`
 * reloads unless the last load is under 30 s old; `load()` always does.
 */
export function rangeSuggestionsPanel(
  signal: AbortSignal,
  changed: () => void,
): {
  element: HTMLElement;
  load(): Promise<void>;
  refresh(): void;
} {
  let loadedAt = Number.NEGATIVE_INFINITY;
  const element = h('section', {
    class: 'range-suggestions',
    attrs: { 'aria-label': 'Range suggestions' },
    data: { testid: 'range-suggestions' },
  });

  async function load(): Promise<void> {
    loadedAt = Date.now();
    try {
      const answer = await get<RangeSuggestionsAnswer>('/api/range-suggestions', signal);
      redraw(answer.suggestions.map((s) => card(s, answer.windowMs, act)));
    } catch (error) {
      if (!isQuiet(error))
        element.replaceChildren(h('p', { class: 'muted' }, `Range suggestions: ${errorMessage(error)}`));
    }
  }

  /**
   * Puts `cards` in place of the shown ones. A range whose IP list was open stays open, and focus
   * on a card's disclosure or button returns to the same control of the same range (a reload comes
   * after every action and with live flags).
   */
  function redraw(cards: HTMLElement[]): void {
    const open = new Set<string>();
    for (const details of element.querySelectorAll<HTMLDetailsElement>('.range-suggestion details[open]')) {
      const key = details.closest<HTMLElement>('[data-key]')?.dataset.key;
      if (key !== undefined) open.add(key);
    }
    preserveFocus(element, () => element.replaceChildren(...cards));
    for (const card of cards) {
      const details = card.querySelector('details');
      if (details !== null && card.dataset.key !== undefined && open.has(card.dataset.key))
        details.open = true;
    }
  }

  async function act(event: MouseEvent, action: () => Promise<boolean>): Promise<void> {
    const target = event.currentTarget;
    if (target instanceof HTMLButtonElement) await busy(target, action);
    else await action();
    changed();
    await load();
  }

  const refresh = () => {
    if (Date.now() - loadedAt >= REFRESH_MS) void load();
  };
  return { element, load, refresh };
}

/** One suggestion: the range, its flagged IPs and reasons, its legitimate traffic, and the two actions. */
function card(
  s: RangeSuggestion,
  windowMs: number,
  act: (event: MouseEvent, action: () => Promise<boolean>) => Promise<void>,
): HTMLElement {
  const hours = Math.round(windowMs / 3_600_000);
  const item = (ip: RangeSuggestion['ips'][number]) =>
    h('li', null, ipLink(ip.ip), ' — ', ip.reasons.map(reasonLabel).join(', '));
  const rest = s.ips.slice(LISTED_IPS);
  const more = `${formatNumber(rest.length)} more flagged ${rest.length === 1 ? 'IP' : 'IPs'}`;
  const block = button('Block range', (e) => void act(e, () => blockTarget(s.range, rangeBlockReason(s))), {
    label: `Block range ${s.range}`,
    variant: 'danger small',
  });
  const dismiss = button('Dismiss', (e) => void act(e, () => dismissSuggestion(s)), {
    label: `Dismiss suggestion ${s.range}`,
    variant: 'small',
  });
  return h(
    'div',
    { class: 'card range-suggestion', data: { key: s.range } },
    h(
      'p',
      null,
      h('strong', null, `Block ${s.range}?`),
      ` ${formatNumber(s.ips.length)} flagged IPs share this /${s.prefix}.`,
    ),
    h('p', { class: 'small' }, reasonTally(s)),
    h('ul', { class: 'small' }, ...s.ips.slice(0, LISTED_IPS).map(item)),
    rest.length === 0
      ? null
      : h(
          'details',
          { class: 'small' },
          h(
            'summary',
            // The range in the name too: one per card, and how focus finds it again after a reload.
            { attrs: { 'aria-label': `${more} in ${s.range}` } },
            more,
          ),
          h('ul', null, ...rest.map(item)),
        ),
    h('p', { class: 'muted small' }, legitimateTrafficText(s, hours)),
    s.allowlisted.length === 0
      ? null
      : h(
          'p',
          { class: 'small' },
          badge('allowlisted inside', 'warning'),
          ` ${s.allowlisted.join(', ')} stay reachable: the allowlist wins over a range block.`,
        ),
    s.operator.length === 0
      ? null
      : h(
          'p',
          { class: 'small' },
          badge('your address inside', 'danger'),
          ` ${s.operator.join(', ')}: you use ${s.operator.length === 1 ? 'this address' : 'these addresses'} (loopback, the admin address or a recent admin session). Blocking the range could lock you out, so it asks you first.`,
        ),
    h('div', { class: 'row-actions' }, block, dismiss),
  );
}

/** "Reasons: Sensitive paths (300 IPs), Admin access (150 IPs)", most common first. */
function reasonTally(s: RangeSuggestion): string {
  const counts = new Map<string, number>();
  for (const ip of s.ips) for (const reason of ip.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const parts = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${reasonLabel(reason)} (${formatNumber(n)} ${n === 1 ? 'IP' : 'IPs'})`);
  return `Reasons: ${parts.join(', ')}`;
}

async function dismissSuggestion(s: RangeSuggestion): Promise<boolean> {
  try {
    await post('/api/range-suggestions/dismiss', { range: s.range, flaggedIps: s.ips.length });
    toast(`Dismissed the suggestion for ${s.range}`);
    return true;
  } catch (error) {
    if (!isQuiet(error)) toast(`Dismissing ${s.range} failed: ${errorMessage(error)}`, { tone: 'error' });
    return false;
  }
}
