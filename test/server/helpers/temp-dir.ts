import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A fresh directory under the OS temp dir and a function that removes it with everything inside. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ipwarden-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
