/**
 * The dashboard's counters. Each card has a `data-testid` (`counter-total` …) and carries the raw
 * number in `data-value`, so tests can read it without parsing a localised string.
 */
import { h } from '../dom.js';
import { formatNumber } from '../format.js';

export type CounterName = 'total' | 'uniqueIps' | 'blocked' | 'rateLimited' | 'flaggedIps' | 'activeBlocks';

const COUNTERS: readonly { name: CounterName; testid: string; label: string; tone: string; href?: string }[] =
  [
    { name: 'total', testid: 'counter-total', label: 'Requests', tone: 'accent' },
    { name: 'uniqueIps', testid: 'counter-unique-ips', label: 'Unique IPs', tone: 'neutral' },
    { name: 'blocked', testid: 'counter-blocked', label: 'Blocked', tone: 'danger' },
    { name: 'rateLimited', testid: 'counter-rate-limited', label: 'Rate-limited', tone: 'warning' },
    {
      name: 'flaggedIps',
      testid: 'counter-flagged-ips',
      // These two are the state now, whatever range the others count (a custom range in 2015, say).
      label: 'Flagged IPs now',
      tone: 'warning',
      href: '#/flags',
    },
    {
      name: 'activeBlocks',
      testid: 'counter-active-blocks',
      label: 'Active blocks now',
      tone: 'neutral',
      href: '#/lists',
    },
  ];

export interface Counters {
  element: HTMLElement;
  set(values: Partial<Record<CounterName, number>>): void;
  add(name: CounterName, delta: number): void;
}

export function createCounters(): Counters {
  const values = new Map<CounterName, number>();
  const cards = new Map<CounterName, { card: HTMLElement; value: HTMLElement }>();
  const element = h('div', { class: 'counters' });
  for (const counter of COUNTERS) {
    const value = h('span', { class: 'counter-value' }, '–');
    const label = h('span', { class: 'counter-label' }, counter.label);
    const card =
      counter.href === undefined
        ? h('div', { class: `counter counter-${counter.tone}` }, label, value)
        : h(
            'a',
            { class: `counter counter-${counter.tone} counter-link`, attrs: { href: counter.href } },
            label,
            value,
          );
    card.dataset.testid = counter.testid;
    cards.set(counter.name, { card, value });
    element.append(card);
  }
  const show = (name: CounterName, n: number) => {
    values.set(name, n);
    const entry = cards.get(name);
    if (entry === undefined) return;
    entry.value.textContent = formatNumber(n);
    entry.card.dataset.value = String(n);
  };
  return {
    element,
    set(next) {
      for (const [name, n] of Object.entries(next) as [CounterName, number][]) show(name, n);
    },
    add(name, delta) {
      show(name, Math.max(0, (values.get(name) ?? 0) + delta));
    },
  };
}
