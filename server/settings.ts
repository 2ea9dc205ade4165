import type { z } from 'zod';
import { type Config, ConfigError, configSchema } from './config.js';
import type { Logger } from './log.js';
import type { StateStore } from './store/index.js';

/**
 * The settings an operator may change at run time from the UI (`PUT /api/settings`): detection,
 * rate-limit rules and trusted proxies. Same validation as the config file.
 */
export const settingsSchema = configSchema
  .pick({ detection: true, rateLimits: true, trustProxy: true })
  .strict();
export type Settings = z.output<typeof settingsSchema>;

/**
 * Validates run-time settings (plain JSON, durations as strings or ms).
 * @throws ConfigError naming the bad field and the expected form.
 */
export function parseSettings(input: unknown): Settings {
  const parsed = settingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(describeIssues(parsed.error));
}

/** `invalid settings: detection.retention: …; rateLimits.0.paths: …`. */
function describeIssues(error: z.ZodError): string {
  const lines = error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return `invalid settings: ${lines.join('; ')}`;
}

/** The settings the config alone gives (flags, environment, file, defaults). */
function configSettings(config: Config): Settings {
  return { detection: config.detection, rateLimits: config.rateLimits, trustProxy: config.trustProxy };
}

/**
 * `patch`, a partial settings object (plain JSON, the shape of {@link settingsToJson}), merged over
 * `current` — objects merge key by key, arrays and values replace — then validated like a whole
 * settings object. `{"detection":{"thresholds":{"high_volume":50}}}` changes one threshold and keeps
 * everything else, so a change never resets the fields it leaves out to their defaults.
 * @throws ConfigError naming the bad field and the expected form (also for a patch that is not an
 *   object, and for a `__proto__`, `constructor` or `prototype` key).
 */
export function mergeSettings(current: Settings, patch: unknown): Settings {
  if (!isPlainObject(patch)) {
    throw new ConfigError(
      'invalid settings: (root): expected a JSON object like {"detection":{"thresholds":{"high_volume":50}}}',
    );
  }
  return parseSettings(deepMerge(settingsToJson(current), patch, ''));
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function deepMerge(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
  at: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (UNSAFE_KEYS.has(key)) throw new ConfigError(`invalid settings: ${at}${key}: not a settings key`);
    const under = out[key];
    out[key] = isPlainObject(value) && isPlainObject(under) ? deepMerge(under, value, `${at}${key}.`) : value;
  }
  return out;
}

/**
 * The part of `json` (the validated settings after a change) that the change `patch` named: objects
 * key by key, anything else (a number, an array such as the rate-limit rules) whole, as validated.
 */
function changedPart(json: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(patch)) {
    const value = json[key];
    const asked = patch[key];
    out[key] = isPlainObject(value) && isPlainObject(asked) ? changedPart(value, asked) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Settings as JSON (CIDRs as text, durations in ms), the form the API returns and the state keeps. */
export function settingsToJson(settings: Settings): Record<string, unknown> {
  return {
    detection: settings.detection,
    rateLimits: settings.rateLimits,
    trustProxy: settings.trustProxy.map((c) => c.text),
  };
}

/** Where a settings change must take effect. */
export interface SettingsTargets {
  apply(settings: Settings): void;
}

/**
 * Run-time settings (detection, rate limits, trusted proxies): validated, saved in the state,
 * applied without a restart, audited. Saved settings override the config file at the next start.
 */
export class SettingsService {
  #current: Settings;
  readonly #state: StateStore;
  readonly #targets: SettingsTargets;
  readonly #logger: Logger;
  #updating: Promise<unknown> = Promise.resolve();

  constructor(initial: Settings, state: StateStore, targets: SettingsTargets, logger: Logger) {
    this.#current = initial;
    this.#state = state;
    this.#targets = targets;
    this.#logger = logger;
  }

  /** The settings in force, as JSON. */
  current(): Record<string, unknown> {
    return settingsToJson(this.#current);
  }

  /** The settings in force, typed (durations in ms, CIDRs parsed). */
  inForce(): Settings {
    return this.#current;
  }

  /**
   * Merges `input` (the whole settings object, or only the fields to change: {@link mergeSettings})
   * over the settings in force, validates, saves and applies the result and records who changed it.
   * @throws ConfigError naming the bad field; nothing is saved or applied then.
   */
  update(input: unknown, actor: string): Promise<Record<string, unknown>> {
    // One at a time: each merges over what the one before it saved, so none undoes another.
    const result = this.#updating.then(() => this.#update(input, actor));
    this.#updating = result.catch(() => undefined);
    return result;
  }

  async #update(input: unknown, actor: string): Promise<Record<string, unknown>> {
    const next = mergeSettings(this.#current, input);
    const json = settingsToJson(next);
    // Saved: only what an operator changed, over what was saved before. A value never changed
    // keeps following the config (a later --trust-proxy applies), where saving the whole
    // settings froze every field at its value of the day.
    const saved = deepMerge(
      this.#state.data.settings,
      changedPart(json, input as Record<string, unknown>),
      '',
    );
    await this.#state.update((state) => {
      state.settings = saved;
      state.audit.push({ at: new Date().toISOString(), actor, action: 'settings', target: 'settings' });
    });
    this.#targets.apply(next);
    this.#current = next;
    this.#logger.info({ actor }, 'settings changed and applied');
    return json;
  }
}

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
    const setBy = setHere(config.sources, at);
    return setBy === undefined ? { at } : { at, setBy };
  });
}

/**
 * Where the operator set the value at `at` (a dotted settings path), if anywhere: at that path, at
 * one holding it (a flag sets `trustProxy` whole), or under it (an array setting is compared whole).
 */
function setHere(sources: ReadonlyMap<string, string> | undefined, at: string): string | undefined {
  if (sources === undefined) return undefined;
  const parts = at.split('.');
  for (let i = parts.length; i > 0; i--) {
    const found = sources.get(parts.slice(0, i).join('.'));
    if (found !== undefined && (i === parts.length || !isObjectPath(sources, parts.slice(0, i).join('.'))))
      return found;
  }
  for (const [path, from] of sources) if (path.startsWith(`${at}.`)) return from;
  return undefined;
}

/** Whether the file set `path` as an object (its leaves, not the object, are what was set). */
function isObjectPath(sources: ReadonlyMap<string, string>, path: string): boolean {
  for (const key of sources.keys()) if (key.startsWith(`${path}.`)) return true;
  return false;
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
