// SPDX-License-Identifier: MIT
// Loads a .tflite file written by `vigil export --tflite` in TensorFlow Lite's own runtime
// (@tensorflow/tfjs-tflite, a WebAssembly build of TFLite) inside headless Chromium, runs the
// reference inputs through it and compares with the outputs of Vigil's core.
// Usage: node tflite_check.mjs MODEL.tflite REF.json [--tolerance T] [--min-equal F]
// Float models: outputs agree to a relative T (default 1e-5). int8 models: int8 outputs
// differ by at most T steps (default 1) and at least a share F of them (default 0) are equal.
// Exit status: 0 all outputs agree, 1 a mismatch or a load/run error, 2 bad usage.
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const [modelPath, refPath, ...rest] = process.argv.slice(2);
if (!modelPath || !refPath) {
  console.error('usage: node tflite_check.mjs MODEL.tflite REF.json [--tolerance T]');
  process.exit(2);
}
const ti = rest.indexOf('--tolerance');
const ref = JSON.parse(readFileSync(refPath, 'utf8'));
const int8 = ref.dtype === 'int8';
const tol = ti >= 0 ? Number(rest[ti + 1]) : int8 ? 1 : 1e-5;
const ei = rest.indexOf('--min-equal');
const minEqual = ei >= 0 ? Number(rest[ei + 1]) : 0;
const model = readFileSync(modelPath);

const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const page = `<!doctype html><meta charset="utf-8"><title>tflite check</title>
<script src="/node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js"></script>
<script src="/node_modules/@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js"></script>
<script src="/node_modules/@tensorflow/tfjs-tflite/dist/tf-tflite.min.js"></script>`;
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/') { res.writeHead(200, { 'content-type': 'text/html' }); return res.end(page); }
  if (url.pathname === '/model.tflite') { res.writeHead(200, { 'content-type': 'application/octet-stream' }); return res.end(model); }
  const file = normalize(join(here, url.pathname));
  if (!file.startsWith(join(here, 'node_modules')) || !existsSync(file)) { res.writeHead(404); return res.end(); }
  const ext = file.slice(file.lastIndexOf('.'));
  res.writeHead(200, { 'content-type': types[ext] || 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;
let browser, code = 1;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless=new'],
  });
  const tab = await browser.newPage();
  const logs = [];
  tab.on('console', (m) => logs.push(m.text()));
  await tab.goto(base + '/');
  const got = await tab.evaluate(async ({ cases, int8 }) => {
    tflite.setWasmPath('/node_modules/@tensorflow/tfjs-tflite/wasm/');
    const m = await tflite.loadTFLiteModel('/model.tflite', { numThreads: 1 });
    const info = { inputs: m.inputs.map((t) => [t.name, t.shape, t.dtype]),
                   outputs: m.outputs.map((t) => [t.name, t.shape, t.dtype]) };
    const ys = [];
    for (const c of cases) {
      const x = tf.tensor2d([c.x], [1, c.x.length], int8 ? 'int32' : 'float32');
      const y = m.predict(x);
      ys.push(Array.from(await y.data()));
      x.dispose(); y.dispose();
    }
    return { info, ys };
  }, { cases: ref.cases, int8 });
  console.log(`tflite runtime: inputs ${JSON.stringify(got.info.inputs)} outputs ${JSON.stringify(got.info.outputs)}`);
  let worst = 0, bad = 0, exact = 0, total = 0;
  ref.cases.forEach((c, i) => {
    c.y.forEach((want, j) => {
      const diff = Math.abs(got.ys[i][j] - want);
      const err = int8 ? diff : diff / Math.max(1, Math.abs(want));
      exact += diff === 0;
      total++;
      worst = Math.max(worst, err);
      if (!(err <= tol)) {
        if (bad++ < 5) console.error(`case ${i} output ${j}: tflite ${got.ys[i][j]} vigil ${want}`);
      }
    });
  });
  console.log(`${ref.cases.length} cases x ${ref.d} ${ref.dtype || 'float32'} outputs: ` +
    (int8 ? `${exact}/${total} equal, largest difference ${worst} steps (tolerance ${tol})`
          : `largest difference ${worst.toExponential(2)} (tolerance ${tol})`));
  if (exact < minEqual * total) {
    console.error(`only ${exact}/${total} outputs are equal (want a share of at least ${minEqual})`);
    bad++;
  }
  code = bad ? 1 : 0;
  if (bad) console.error(`${bad} outputs differ beyond the tolerance`);
} catch (e) {
  console.error(`tflite check failed: ${e.message}`);
} finally {
  if (browser) await browser.close();
  server.close();
}
process.exit(code);
