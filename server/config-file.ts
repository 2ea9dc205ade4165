/** The config file: reading it, and what its keys set. */
import { readFileSync } from 'node:fs';

/** Thrown when configuration is invalid; the message names the field, its source and the expected form. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The dotted paths of the values a config-file key sets: the key itself for a value that is not a
 * plain object, else the paths of what the object holds (`detection.thresholds.high_volume`), so an
 * object sets only what it names (an empty one, nothing).
 */
export function leafPaths(key: string, value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [key];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(`${key}.${k}`, v));
}

/**
 * The JSON object in a config file.
 * @throws ConfigError when the file cannot be read, is not JSON, or holds no object.
 */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}
