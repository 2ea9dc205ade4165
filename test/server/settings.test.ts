import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { mergeSettings, type Settings, settingsToJson } from '../../server/settings.js';

const config = loadConfig({ env: {}, cwd: '/', flags: { trustProxy: '10.0.0.0/8' } });
const current: Settings = {
  detection: { ...config.detection, retention: 365 * 86_400_000 },
  rateLimits: config.rateLimits,
  trustProxy: config.trustProxy,
};

describe('mergeSettings', () => {
  it('changes only the fields a partial change names, keeping the rest as they are in force', () => {
    const next = mergeSettings(current, { detection: { thresholds: { high_volume: 500 } } });
    expect(next.detection.thresholds.high_volume).toBe(500);
    expect(next.detection.retention).toBe(365 * 86_400_000);
    expect(next.detection.thresholds.admin_access).toBe(current.detection.thresholds.admin_access);
    expect(next.trustProxy.map((c) => c.text)).toEqual(['10.0.0.0/8']);
    expect(next.rateLimits).toEqual(current.rateLimits);
  });

  it('takes a whole settings object as it is, arrays replacing arrays', () => {
    const whole = { ...settingsToJson(current), trustProxy: [], rateLimits: [] };
    expect(settingsToJson(mergeSettings(current, whole))).toEqual(whole);
  });

  it('refuses what is not an object, a bad value and a prototype key, naming them', () => {
    expect(() => mergeSettings(current, [])).toThrow('invalid settings: (root): expected a JSON object');
    expect(() => mergeSettings(current, { detection: { retention: '90' } })).toThrow(
      'detection.retention: must be at least 1d',
    );
    expect(() => mergeSettings(current, JSON.parse('{"detection": {"__proto__": {"x": 1}}}'))).toThrow(
      'invalid settings: detection.__proto__: not a settings key',
    );
  });
});
