/**
 * Saved settings at start: the config's settings with what an operator saved over them, saved
 * values that no longer validate left out one by one, and which config values they override.
 */
import type { z } from 'zod';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import {
  configSettings,
  deepMerge,
  describeIssues,
  isPlainObject,
  type Settings,
  settingsSchema,
  settingsToJson,
} from './settings.js';

/**
 * The settings in force at start: the config's, with what an operator saved in the state (the
 * values changed from the UI or the API) over them. Saved values that no longer validate are
 * ignored and reported through `onInvalid`.
 */
export function initialSettings(
  config: Config,
  saved: Record<string, unknown>,
  onInvalid: (message: string) => void,
): Settings {
  const fromConfig = configSettings(config);
  if (Object.keys(saved).length === 0) return fromConfig;
  const base = settingsToJson(fromConfig);
  let merged: Record<string, unknown>;
  try {
    // Saved settings name only what an operator changed (older versions saved them whole).
    merged = deepMerge(base, saved, '');
  } catch (err) {
    onInvalid(`saved settings ignored: ${(err as Error).message}`);
    return fromConfig;
  }
  // A saved value that no longer validates (a rule tightened by an upgrade) costs only that value:
  // ignoring every saved setting would also drop trusted proxies and rate limits.
  let problem = '';
  for (let round = 0; round < MAX_REPAIRS; round++) {
    const parsed = settingsSchema.safeParse(merged);
    if (parsed.success) return parsed.data;
    problem = describeIssues(parsed.error);
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const repaired = withoutInvalid(merged, base, issue);
    if (repaired === null) break;
    onInvalid(`saved setting ${repaired.at} ignored (${issue.message}); the config's value applies`);
    merged = repaired.settings;
  }
  onInvalid(`saved settings ignored: ${problem}`);
  return fromConfig;
}

/**
 * The settings (dotted paths, arrays whole) where `settings` differs from what `config` alone gives:
 * what settings saved in the UI override at start, so the start can say that a flag or config-file
 * value did not take effect. `setBy` names where the operator set the config's value (a flag, an
 * environment variable, the file); absent, the config's value is a default.
 */
export function overriddenConfig(config: Config, settings: Settings): { at: string; setBy?: string }[] {
  return differingPaths(settingsToJson(configSettings(config)), settingsToJson(settings), '').map((at) => {
    const setBy = setHere(config.setPaths, at);
    return setBy === undefined ? { at } : { at, setBy };
  });
}

/**
 * Where the operator set the value at `at` (a dotted settings path), if anywhere: at that path, at
 * one holding it (a flag sets `trustProxy` whole), or under it (an array setting is compared whole).
 */
function setHere(setPaths: ReadonlyMap<string, string> | undefined, at: string): string | undefined {
  if (setPaths === undefined) return undefined;
  const parts = at.split('.');
  for (let i = parts.length; i > 0; i--) {
    const found = setPaths.get(parts.slice(0, i).join('.'));
    if (found !== undefined) return found;
  }
  for (const [path, from] of setPaths) if (path.startsWith(`${at}.`)) return from;
  return undefined;
}

function differingPaths(a: unknown, b: unknown, at: string): string[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((key) => differingPaths(a[key], b[key], at === '' ? key : `${at}.${key}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

/** Saved values replaced by the config's before the whole saved settings are given up. */
const MAX_REPAIRS = 20;

/**
 * `settings` (a copy) without what `issue` is about: unknown keys removed, or the value replaced by
 * `base`'s at the deepest object key on its path (an array is replaced whole). Null when nothing
 * narrower than the whole settings can be replaced.
 */
function withoutInvalid(
  settings: Record<string, unknown>,
  base: Record<string, unknown>,
  issue: z.core.$ZodIssue,
): { settings: Record<string, unknown>; at: string } | null {
  const copy = structuredClone(settings);
  const at = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    let node: unknown = copy;
    for (const key of at) node = isPlainObject(node) ? node[key] : undefined;
    if (!isPlainObject(node)) return null;
    for (const key of issue.keys) delete node[key];
    return { settings: copy, at: [...at, issue.keys.join(', ')].join('.') };
  }
  let node: Record<string, unknown> = copy;
  let baseNode: unknown = base;
  for (const [i, key] of at.entries()) {
    const next = node[key];
    const baseNext = isPlainObject(baseNode) ? baseNode[key] : undefined;
    if (!isPlainObject(next) || !isPlainObject(baseNext) || i === at.length - 1) {
      if (baseNext === undefined) delete node[key];
      else node[key] = structuredClone(baseNext);
      return { settings: copy, at: at.slice(0, i + 1).join('.') };
    }
    node = next;
    baseNode = baseNext;
  }
  return null;
}

/**
 * Logs what saved settings override at start: a warning where the operator set the value another
 * way (a flag, the environment, the file: theirs did not take effect), info where they replace a
 * default (what saving them was for).
 */
export function logOverrides(logger: Logger, overridden: readonly { at: string; setBy?: string }[]): void {
  const setByOperator = overridden.filter((o) => o.setBy !== undefined);
  if (setByOperator.length > 0)
    logger.warn(
      `settings saved in the UI apply instead of the config for: ${setByOperator.map((o) => `${o.at} (set by ${o.setBy})`).join(', ')}`,
    );
  const defaults = overridden.filter((o) => o.setBy === undefined).map((o) => o.at);
  if (defaults.length > 0) logger.info(`settings saved in the UI in force for: ${defaults.join(', ')}`);
}
