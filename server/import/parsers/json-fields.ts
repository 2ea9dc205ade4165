/** Helpers for the JSON formats: pick typed fields out of an untrusted parsed object. */
export type JsonObject = Record<string, unknown>;

/** Parses a line that must be a JSON object; a string reason otherwise. */
export function parseJsonObject(line: string): JsonObject | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  return isObject(value) ? value : 'not a JSON object';
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string, or a finite number as its decimal text; `-` counts as absent (nginx). */
export function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value !== '' && value !== '-' ? value : undefined;
}

/** An HTTP status 100–599 from a number or numeric string. */
export function statusCode(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}
