/**
 * What the live feed shows outside the views: the header's live indicator, the active-flag count
 * in the navigation, and a toast for each new flag.
 */
import { get } from './api.js';
import type { LiveEvents, LiveStatus } from './events.js';
import { reasonLabel } from './evidence.js';
import { formatNumber } from './format.js';
import { routeHash } from './route.js';
import { toast } from './toast.js';
import type { Flag } from './types.js';
import { throttle } from './views/view.js';

const STATUS_TEXT: Readonly<Record<LiveStatus, string>> = {
  live: 'Live',
  connecting: 'Connecting…',
  offline: 'Offline',
};

/** Mirrors the feed's status in the header indicator (`data-status` drives its colour). */
export function showLiveStatus(indicator: HTMLElement, live: LiveEvents): void {
  const text = indicator.querySelector('.live-text');
  live.onStatus((status) => {
    indicator.dataset.status = status;
    indicator.title = status === 'live' ? 'Receiving live updates' : 'Live updates paused; retrying';
    if (text !== null) text.textContent = STATUS_TEXT[status];
  });
}

export interface FlagCount {
  /** Refetches the count; rejects like any API call (a 401 signs the operator out). */
  refresh(): Promise<void>;
}

/** The number of flagged IPs next to "Flagged IPs" in the navigation, kept current by the feed. */
export function flagCount(badge: HTMLElement, live: LiveEvents): FlagCount {
  const refresh = async () => {
    const { flags } = await get<{ flags: Flag[] }>('/api/flags?active=1');
    const ips = new Set(flags.filter((f) => f.is_active).map((f) => f.ip)).size;
    badge.hidden = ips === 0;
    badge.textContent = formatNumber(ips);
    badge.setAttribute('aria-label', `${formatNumber(ips)} flagged`);
  };
  const soon = throttle(
    () => void refresh().catch((error: unknown) => console.warn('ipwarden: flag count', error)),
    1_000,
  );
  live.on('flag', (flag) => {
    soon();
    toast(`New flag: ${flag.ip} — ${reasonLabel(flag.reason)}`, {
      tone: 'warning',
      link: { text: 'View', href: routeHash('ip', flag.ip) },
    });
  });
  live.on('unflag', () => soon());
  return { refresh };
}
