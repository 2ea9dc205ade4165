import { ConfigError } from '../config.js';
import { parseSettings, type Settings, settingsToJson } from '../settings.js';

/**
 * Candidate settings for a backtest: a partial settings object (`detection`, `rateLimits`,
 * `trustProxy`, same shape as `PUT /api/settings`) merged over the settings in force — objects
 * merge key by key, arrays and values replace — then validated exactly like a settings change.
 * `{"detection":{"thresholds":{"high_volume":50}}}` changes one threshold and keeps everything else.
 * @throws ConfigError naming the bad field (e.g. `detection.thresholds.high_volume`) and the expected form.
 */
export function parseCandidate(input: unknown, current: Settings): Settings {
  if (!isPlainObject(input)) {
    throw new ConfigError(
      'invalid settings: (root): expected a JSON object like {"detection":{"thresholds":{"high_volume":50}}}',
    );
  }
  return parseSettings(deepMerge(settingsToJson(current), input));
}

function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const under = out[key];
    out[key] = isPlainObject(value) && isPlainObject(under) ? deepMerge(under, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
