// SPDX-License-Identifier: MIT
// Builds the dashboard into OUTDIR: index.html, favicon.svg, app.js and app.css (uPlot and
// our modules bundled and minified by esbuild). Usage: node build.mjs OUTDIR
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUTDIR');
  process.exit(2);
}
const dir = resolve(out);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
try {
  await build({
    entryPoints: { app: join(here, 'src', 'main.js') },
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    outdir: dir,
    logLevel: 'warning',
    legalComments: 'linked',
  });
} catch {
  process.exit(1); // esbuild has printed the errors
}
for (const f of ['index.html', 'favicon.svg']) copyFileSync(join(here, 'src', f), join(dir, f));
console.log(`dashboard built into ${dir}`);
