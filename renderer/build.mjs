// Builds the operator UI: bundles renderer/src/main.ts into dist/renderer/app.js (one minified ESM
// bundle with a source map) and copies index.html, styles.css and the world map next to it. No
// inline script or style anywhere: the admin server sends a strict Content-Security-Policy.
//
// Usage: node renderer/build.mjs [--watch]
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const src = path.join(here, 'src');
const out = path.join(root, 'dist', 'renderer');
const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');

/** Files served as they are, next to app.js: [source, name in dist/renderer]. */
const STATIC_FILES = [
  [path.join(src, 'index.html'), 'index.html'],
  [path.join(src, 'styles.css'), 'styles.css'],
  [require.resolve('world-atlas/countries-110m.json'), 'countries-110m.json'],
];

/** Refuses markup that a strict CSP would block, so a mistake fails the build, not the page. */
async function checkNoInline() {
  const html = await readFile(path.join(src, 'index.html'), 'utf8');
  const problems = [];
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) problems.push('an inline <script>');
  if (/<style[\s>]/i.test(html)) problems.push('a <style> element');
  if (/\sstyle\s*=/i.test(html)) problems.push('a style="" attribute');
  if (/\son[a-z]+\s*=/i.test(html)) problems.push('an on…="" handler attribute');
  if (problems.length > 0)
    throw new Error(`renderer/src/index.html has ${problems.join(', ')}; the CSP forbids it`);
}

async function copyStatic() {
  await checkNoInline();
  for (const [from, name] of STATIC_FILES) await copyFile(from, path.join(out, name));
}

/** @type {esbuild.BuildOptions} */
const options = {
  entryPoints: [path.join(src, 'main.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
  minify: !process.argv.includes('--dev'),
  sourcemap: 'linked',
  legalComments: 'linked',
  charset: 'utf8',
  logLevel: 'info',
  plugins: [
    {
      name: 'copy-static',
      setup(build) {
        build.onEnd(async (result) => {
          if (result.errors.length === 0) await copyStatic();
        });
      },
    },
  ],
};

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
  console.log(`watching renderer/src → ${path.relative(root, out)}`);
} else {
  await esbuild.build(options);
}
