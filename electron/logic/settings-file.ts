import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type DesktopSettings, validateFirstRun } from './first-run-validation.js';

/** What reading the desktop settings found. */
export type SettingsRead =
  | { kind: 'missing' }
  | { kind: 'ok'; settings: DesktopSettings }
  | { kind: 'invalid'; problem: string };

/**
 * Reads the first-run answers. A missing file means first run; a file that is not valid JSON or
 * fails validation is reported as `invalid` (the app shows the setup screen again and says why),
 * never silently replaced.
 */
export async function readDesktopSettings(file: string): Promise<SettingsRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'invalid', problem: `cannot read ${file}: ${(err as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'invalid', problem: `${file} is not valid JSON: ${(err as Error).message}` };
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const result = validateFirstRun({ upstream: record.upstream, proxyPort: record.proxyPort });
  if (!result.ok) return { kind: 'invalid', problem: `${file}: ${Object.values(result.errors).join('; ')}` };
  return { kind: 'ok', settings: result.settings };
}

/**
 * Writes the settings atomically (a temporary file in the same folder, then rename), readable by
 * the owner only, creating the folder when needed.
 */
export async function writeDesktopSettings(file: string, settings: DesktopSettings): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
