/** What the tray reflects, read from the running appliance. */
export interface TrayState {
  /** The proxy accepts connections. */
  listening: boolean;
  /** e.g. `http://127.0.0.1:8080`; null before the appliance has started. */
  proxyUrl: string | null;
  requestsLastHour: number;
  activeFlags: number;
  /** Protection paused: blocks are not enforced. */
  paused: boolean;
}

/** A menu entry the Electron layer turns into a MenuItem; `action` names what a click does. */
export type TrayItem =
  | { kind: 'status'; label: string }
  | { kind: 'separator' }
  | { kind: 'action'; action: TrayAction; label: string; checked?: boolean };

export type TrayAction = 'open' | 'toggle-pause' | 'quit';

/** The tray's tooltip and context menu, derived from the state. */
export interface TrayModel {
  tooltip: string;
  /** Set when something needs attention: flags to review, or protection paused. */
  attention: boolean;
  items: TrayItem[];
}

/**
 * Builds the tray model: status lines (proxy, requests in the last hour, active flags), then
 * Open, Pause protection and Quit. Pure, so the wording is tested without Electron.
 */
export function trayModel(state: TrayState): TrayModel {
  const proxy = !state.listening
    ? 'Proxy: not running'
    : state.paused
      ? `Proxy: ${state.proxyUrl ?? '?'} (protection paused)`
      : `Proxy: listening on ${state.proxyUrl ?? '?'}`;
  const requests = `Requests in the last hour: ${formatCount(state.requestsLastHour)}`;
  const flags = `Active flags: ${formatCount(state.activeFlags)}`;
  const summary = !state.listening
    ? 'not running'
    : state.paused
      ? 'protection paused'
      : state.activeFlags > 0
        ? `${plural(state.activeFlags, 'active flag')} to review`
        : 'protecting';
  return {
    tooltip: `ipwarden: ${summary}`,
    attention: state.listening && (state.paused || state.activeFlags > 0),
    items: [
      { kind: 'status', label: proxy },
      { kind: 'status', label: requests },
      { kind: 'status', label: flags },
      { kind: 'separator' },
      { kind: 'action', action: 'open', label: 'Open ipwarden' },
      { kind: 'action', action: 'toggle-pause', label: 'Pause protection', checked: state.paused },
      { kind: 'separator' },
      { kind: 'action', action: 'quit', label: 'Quit ipwarden' },
    ],
  };
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}
