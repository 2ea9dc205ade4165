import { describe, expect, it } from 'vitest';
import { type TrayState, trayModel } from '../../../electron/logic/tray-status.js';

const running: TrayState = {
  listening: true,
  proxyUrl: 'http://127.0.0.1:8080',
  requestsLastHour: 12_345,
  activeFlags: 0,
  paused: false,
};

const labels = (state: TrayState) =>
  trayModel(state).items.map((item) => (item.kind === 'separator' ? '---' : item.label));

describe('trayModel', () => {
  it('shows the proxy, the requests in the last hour and the active flags, then Open, Pause, Quit', () => {
    expect(labels(running)).toEqual([
      'Proxy: listening on http://127.0.0.1:8080',
      'Requests in the last hour: 12,345',
      'Active flags: 0',
      '---',
      'Open ipwarden',
      'Pause protection',
      '---',
      'Quit ipwarden',
    ]);
    expect(trayModel(running)).toMatchObject({ tooltip: 'ipwarden: protecting', attention: false });
  });

  it('asks for attention when flags wait for review', () => {
    expect(trayModel({ ...running, activeFlags: 3 })).toMatchObject({
      tooltip: 'ipwarden: 3 active flags to review',
      attention: true,
    });
    expect(trayModel({ ...running, activeFlags: 1 }).tooltip).toBe('ipwarden: 1 active flag to review');
  });

  it('shows a paused proxy with the Pause item checked', () => {
    const model = trayModel({ ...running, paused: true });
    expect(model.tooltip).toBe('ipwarden: protection paused');
    expect(model.items[0]).toEqual({
      kind: 'status',
      label: 'Proxy: http://127.0.0.1:8080 (protection paused)',
    });
    expect(model.items).toContainEqual({
      kind: 'action',
      action: 'toggle-pause',
      label: 'Pause protection',
      checked: true,
    });
  });

  it('says when the proxy is not running', () => {
    const model = trayModel({ ...running, listening: false, proxyUrl: null });
    expect(model.tooltip).toBe('ipwarden: not running');
    expect(model.items[0]).toEqual({ kind: 'status', label: 'Proxy: not running' });
    expect(model.attention).toBe(false);
  });
});
