import { isDeepStrictEqual } from 'node:util';
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
export function describeIssues(error: z.ZodError): string {
  const lines = error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return `invalid settings: ${lines.join('; ')}`;
}

/** The settings the config alone gives (flags, environment, file, defaults). */
export function configSettings(config: Config): Settings {
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

/**
 * `patch` merged over `base` (plain JSON): objects key by key, anything else replaced.
 * @throws ConfigError for a `__proto__`, `constructor` or `prototype` key, naming where it is.
 */
export function deepMerge(
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

/**
 * The saved values that still mean something: each equal to the value in force (`inForce`; one that
 * no longer validates was replaced there) and different from the config's (`fromConfig`). Objects
 * key by key, emptied ones left out.
 */
function overridesOf(
  saved: Record<string, unknown>,
  inForce: Record<string, unknown>,
  fromConfig: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(saved)) {
    const now = inForce[key];
    const base = fromConfig[key];
    if (isPlainObject(value) && isPlainObject(now)) {
      const inner = overridesOf(value, now, isPlainObject(base) ? base : {});
      if (Object.keys(inner).length > 0) out[key] = inner;
    } else if (isDeepStrictEqual(value, now) && !isDeepStrictEqual(now, base)) {
      out[key] = value;
    }
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
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
 * applied without a restart, audited. The values changed that differ from the config's are saved and
 * override the config at the next start (saved-settings.ts).
 */
export class SettingsService {
  #current: Settings;
  readonly #state: StateStore;
  readonly #targets: SettingsTargets;
  readonly #logger: Logger;
  #updating: Promise<unknown> = Promise.resolve();

  /** The settings the config alone gives, as JSON: a saved value equal to one of them is dropped. */
  readonly #fromConfig: Record<string, unknown>;

  /** `fromConfig`: the settings of the config alone (flags, environment, file, defaults). */
  constructor(
    initial: Settings,
    state: StateStore,
    targets: SettingsTargets,
    logger: Logger,
    fromConfig: Settings = initial,
  ) {
    this.#fromConfig = settingsToJson(fromConfig);
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
    // Then only what still differs from the config: setting a value back to the config's (or a
    // saved value an upgrade no longer accepts, replaced in force) ends its override.
    const changed = deepMerge(
      this.#state.data.settings,
      changedPart(json, input as Record<string, unknown>),
      '',
    );
    const saved = overridesOf(changed, json, this.#fromConfig);
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
