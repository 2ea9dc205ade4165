// Builds the desktop shell's browser-side files next to the main process that tsc compiles into
// dist/electron/: the sandboxed preload (sandboxed preloads cannot load ES modules, so it is one
// CommonJS bundle, preload.cjs, with only `electron` left external), the setup page (index.html,
// first-run.css and its script bundled to first-run.js) and the window/tray icon.
//
// Usage: node electron/build.mjs
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const out = path.join(root, 'dist', 'electron');

/** The setup page runs under a strict CSP: refuse inline script or style at build time. */
async function checkNoInline(file) {
  const html = await readFile(file, 'utf8');
  if (
    /<script(?![^>]*\bsrc=)[^>]*>/i.test(html) ||
    /<style[\s>]/i.test(html) ||
    /\s(style|on[a-z]+)\s*=/i.test(html)
  )
    throw new Error(`${path.relative(root, file)} has inline script or style; its CSP forbids it`);
}

await mkdir(path.join(out, 'first-run'), { recursive: true });
await esbuild.build({
  entryPoints: [path.join(here, 'preload.ts')],
  outfile: path.join(out, 'preload.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  external: ['electron'],
  target: 'node20',
  logLevel: 'warning',
});
await esbuild.build({
  entryPoints: [path.join(here, 'first-run', 'page.ts')],
  outfile: path.join(out, 'first-run', 'first-run.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome130',
  logLevel: 'warning',
});
await checkNoInline(path.join(here, 'first-run', 'index.html'));
for (const name of ['index.html', 'first-run.css'])
  await copyFile(path.join(here, 'first-run', name), path.join(out, 'first-run', name));
await copyFile(path.join(root, 'build', 'icon.png'), path.join(out, 'icon.png'));
