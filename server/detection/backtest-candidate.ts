import { mergeSettings, type Settings } from '../settings.js';

/**
 * Candidate settings for a backtest: a partial settings object (`detection`, `rateLimits`,
 * `trustProxy`, same shape as `PUT /api/settings`) merged over the settings in force — objects
 * merge key by key, arrays and values replace — then validated exactly like a settings change.
 * `{"detection":{"thresholds":{"high_volume":50}}}` changes one threshold and keeps everything else.
 * @throws ConfigError naming the bad field (e.g. `detection.thresholds.high_volume`) and the expected form.
 */
export function parseCandidate(input: unknown, current: Settings): Settings {
  return mergeSettings(current, input);
}
