// SPDX-License-Identifier: MIT
// The browser half of tests/e2e/dashboard.sh: drives the dashboard in headless Chromium
// (Debian's /usr/bin/chromium through playwright-core from web/node_modules) against a running
// collector and broker, and prints one "ok - ..." or "FAIL - ..." line per check, then a
// last line "RESULT {json}" with the measurements.
//
// Environment: DASH_URL (the collector's base URL), BROKER_PORT, DEVICE (the device with a
// recording), BOOT (its boot), EVENT_SEQ (first seq for the injected events), CANDIDATE (the
// threshold to try and send), SCREENSHOT (PNG to write), VIGIL_SOURCE_DIR, MQTT_PASS (the
// device's broker password; its user name is DEVICE), COLLECTOR_PID and COLLECTOR_CMD (a JSON
// array: the collector's command line, run again after the restart check; the new collector
// is this script's child and is stopped by it).
// Exit status: 0 every check passed, 1 a check failed, 2 bad environment.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const env = (k) => {
  const v = process.env[k];
  if (!v) {
    console.error(`dashboard_check: set ${k}`);
    process.exit(2);
  }
  return v;
};
const URL_ = env('DASH_URL');
const PORT = env('BROKER_PORT');
const DEVICE = env('DEVICE');
const BOOT = Number(env('BOOT'));
let seq = Number(env('EVENT_SEQ'));
const CANDIDATE = Number(env('CANDIDATE'));
const SHOT = env('SCREENSHOT');
const SRC = env('VIGIL_SOURCE_DIR');
const AUTH = ['-u', DEVICE, '-P', env('MQTT_PASS')];
const CPID = Number(env('COLLECTOR_PID'));
const CCMD = JSON.parse(env('COLLECTOR_CMD'));
const LATENCY_LIMIT_MS = 2000;
const INJECTED = 6; // events injected for the latency figure (3 open/close pairs)

const { chromium } = await import(pathToFileURL(join(SRC, 'web/node_modules/playwright-core/index.mjs')).href);

let fails = 0;
const ok = (m) => console.log(`ok - ${m}`);
const bad = (m) => {
  fails++;
  console.log(`FAIL - ${m}`);
};
const check = (cond, m, why = '') => (cond ? ok(m) : bad(why ? `${m}: ${why}` : m));

/** Run a program to completion: {code, out, err}. */
function run(cmd, args, timeoutMs = 20000) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => p.kill('SIGTERM'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

const pub = (topic, obj, qos = 1) =>
  run('mosquitto_pub', ['-h', '127.0.0.1', '-p', PORT, ...AUTH, '-q', String(qos), '-t', topic, '-m', JSON.stringify(obj)]);

function eventMsg(n, phase, tStart) {
  return {
    v: 1, boot: BOOT, seq: seq++, ts: Date.now(), event: n, phase, t_start: tStart,
    t_end: phase === 'close' ? tStart + 4.5 : null, score: 0.97, raw: 61.7, thr: 5.47,
    kind: 'zscore', class: null, class_name: null, magnitude: { peak: 27.9 }, features: { 'temp.std': 3.1 },
  };
}

const result = { latencies_ms: [] };
let browser;
let child = null; // the restarted collector
let childLog = '';

function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by the test's shell) counts as gone.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(fn, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return fn();
}
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless=new'],
  });
  const page = await browser.newPage({ viewport: { width: 1480, height: 1000 }, deviceScaleFactor: 1 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Script errors and the page's own console.error; Chromium's network lines ("Failed to load
  // resource": the 404 of a device without a recording, the stream cut by a restart) are
  // expected and checked where they happen.
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && errors.push(m.text()));

  // 1. The page loads with the fleet.
  const t0 = Date.now();
  await page.goto(`${URL_}/#device=${DEVICE}`);
  await page.waitForSelector(`#fleet tr[data-device="${DEVICE}"][data-state="online"]`, { timeout: 10000 });
  const nDev = await page.locator('#fleet tbody tr').count();
  check(nDev >= 4, `page loaded in ${Date.now() - t0} ms with ${nDev} devices in the fleet table`);
  const offline = await page.locator('#fleet tr[data-state="offline"]').count();
  check(offline >= 1, 'an offline device is shown as offline', `${offline} offline rows`);
  await page.waitForSelector('#live[data-state="live"]', { timeout: 5000 });
  ok('live stream connected');

  // 2. History then live telemetry reach the chart.
  await page.waitForFunction(() => Number(document.querySelector('#chart-signal').dataset.points) > 100, null, { timeout: 10000 });
  const before = Number(await page.getAttribute('#chart-signal', 'data-points'));
  ok(`chart shows ${before} points of history`);
  const grew = await page
    .waitForFunction((n) => Number(document.querySelector('#chart-signal').dataset.points) >= n + 3, before, { timeout: 8000 })
    .then(() => true, () => false);
  const after = Number(await page.getAttribute('#chart-signal', 'data-points'));
  check(grew, `live telemetry arrives: ${after - before} new points while watching`);
  const canvases = await page.locator('#chart-signal canvas, #chart-score canvas').count();
  check(canvases >= 2, 'signal and score charts are drawn');

  // 3. Injected anomaly events appear in the event log within 2 s of their publish.
  for (let i = 0; i < INJECTED; i++) {
    const n = 1000 + Math.floor(i / 2);
    const m = eventMsg(n, i % 2 ? 'close' : 'open', 3000 + n);
    const key = `${DEVICE}/${BOOT}/${m.seq}`;
    const sent = Date.now();
    const r = await pub(`vigil/${DEVICE}/event`, m);
    if (r.code !== 0) {
      bad(`mosquitto_pub of an event: ${r.err}`);
      continue;
    }
    const row = await page.waitForSelector(`#events tr[data-key="${key}"]`, { timeout: 5000, state: 'attached' }).catch(() => null);
    if (!row) {
      bad(`event ${key} never appeared in the event log`);
      continue;
    }
    const shown = Number(await row.getAttribute('data-shown-at'));
    result.latencies_ms.push(shown - sent);
    if (i === 0) {
      const first = await page.getAttribute('#events tbody tr:first-child', 'data-key');
      check(first === key, 'the newest event is the first row of the log', `first row is ${first}`);
      // The fleet table is redrawn at most every 250 ms.
      const opened = await page
        .waitForSelector(`#fleet tr[data-device="${DEVICE}"]:not([data-open="0"])`, { timeout: 2000 })
        .then(() => true, () => false);
      const open = await page.getAttribute(`#fleet tr[data-device="${DEVICE}"]`, 'data-open');
      check(opened, `the fleet shows ${open} open anomal${open === '1' ? 'y' : 'ies'} for ${DEVICE}`);
    }
    await page.waitForTimeout(150);
  }
  const lat = result.latencies_ms;
  if (lat.length) {
    const max = Math.max(...lat);
    result.latency_max_ms = max;
    result.latency_median_ms = lat.slice().sort((a, b) => a - b)[Math.floor(lat.length / 2)];
    check(lat.length === INJECTED && max < LATENCY_LIMIT_MS,
      `${lat.length} injected events appeared in the log, publish to page ${lat.join(', ')} ms (max ${max} ms < ${LATENCY_LIMIT_MS} ms)`);
  }
  const pq = await page.locator('#events td .cls', { hasText: 'sag' }).count();
  check(pq >= 1, 'power-quality events show their class name');

  // 4. Threshold tuning: the recording replayed at another threshold.
  await page.waitForSelector('#tune-results[data-state="current"]', { timeout: 15000 });
  const base = Number(await page.getAttribute('#tune-results', 'data-threshold'));
  ok(`tuning view loaded the recording (threshold in use ${base})`);
  await page.fill('#tune-thr', String(CANDIDATE));
  await page.click('#tune-run');
  await page.waitForFunction((c) => {
    const r = document.querySelector('#tune-results');
    return r.dataset.state === 'candidate' && Math.abs(Number(r.dataset.threshold) - c) <= 1e-6 * c;
  }, CANDIDATE, { timeout: 10000 });
  const shown = {};
  for (const k of ['precision', 'recall', 'f1', 'raised']) shown[k] = (await page.textContent(`#m-${k}`)).trim();
  const api = await page.evaluate(async (q) => (await fetch(`/api/replay?device=${q.d}&threshold=${q.t}`)).json(), { d: DEVICE, t: CANDIDATE });
  result.replay = { threshold: CANDIDATE, shown, events: api.events, pointwise: api.pointwise };
  check(shown.precision === api.events.precision.toFixed(3) && shown.recall === api.events.recall.toFixed(3) && shown.raised === String(api.events.predicted),
    `tuning at ${CANDIDATE}: precision ${shown.precision}, recall ${shown.recall}, F1 ${shown.f1}, ${shown.raised} events raised (as the API says)`,
    JSON.stringify({ shown, api: api.events }));
  const raisedRows = await page.locator('#raised tbody tr').count();
  check(raisedRows === Math.min(api.raised.length, 500) || (api.raised.length === 0 && raisedRows === 1), `the ${raisedRows} events it would raise are listed`);
  const replayPts = Number(await page.getAttribute('#chart-replay', 'data-points'));
  check(replayPts > 100, `replay chart has ${replayPts} window scores`);

  // 5. Sending it: a cmd on the broker, the device's ack shown.
  const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', PORT, ...AUTH, '-q', '1', '-C', '1', '-W', '15', '-t', `vigil/${DEVICE}/cmd`]);
  let cmdText = '';
  sub.stdout.on('data', (d) => (cmdText += d));
  const subDone = new Promise((res) => sub.on('close', res));
  await new Promise((res) => setTimeout(res, 500)); // subscribed before the command goes out
  await page.click('#tune-send');
  await page.waitForSelector('#tune-ack[data-state="waiting"]', { timeout: 5000 });
  await subDone;
  let cmd = null;
  try {
    cmd = JSON.parse(cmdText);
  } catch {
    cmd = null;
  }
  check(cmd && cmd.v === 1 && cmd.op === 'set_threshold' && Math.abs(cmd.threshold - CANDIDATE) <= 1e-9 * CANDIDATE && cmd.id,
    `mosquitto_sub saw the command on vigil/${DEVICE}/cmd: ${cmdText.trim()}`);
  result.cmd = cmd;
  if (cmd) {
    const ackSent = Date.now();
    await pub(`vigil/${DEVICE}/ack`, { v: 1, boot: BOOT, seq: seq++, ts: ackSent, id: cmd.id, op: cmd.op, ok: true, error: null });
    const acked = await page.waitForSelector('#tune-ack[data-state="ok"]', { timeout: 5000 }).then(() => true, () => false);
    check(acked, `the device's ack is shown (${(await page.textContent('#tune-ack')).trim()})`);
    result.ack_ms = Date.now() - ackSent;
  }
  await page.waitForTimeout(300);
  check(errors.length === 0, 'no errors in the page', errors.join(' | '));

  // 6. The screenshot: the whole page as a person would see it.
  mkdirSync(dirname(SHOT), { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: SHOT, fullPage: true });
  ok(`screenshot ${SHOT}`);
  // Another device: a power-quality meter, three channels on their own scales, no recording.
  // The fleet table is redrawn every second ("last seen"); its rows must stay the same elements,
  // or a click that straddles a redraw is lost (mouse down on a row, up on its replacement).
  await page.evaluate(() => (document.querySelector('#fleet tr[data-device="pq-01"]').dataset.mark = 'kept'));
  await page.waitForTimeout(1300);
  const kept = await page.evaluate(() => document.querySelector('#fleet tr[data-device="pq-01"]').dataset.mark === 'kept');
  check(kept, 'fleet rows survive the table\'s redraws (same elements after 1.3 s)');
  await page.click('#fleet tr[data-device="pq-01"]');
  const pqShown = await page
    .waitForFunction(() => document.querySelector('#dev-name').textContent === 'pq-01' &&
      Number(document.querySelector('#chart-signal').dataset.points) >= 100, null, { timeout: 5000 })
    .then(() => true, () => false);
  await page.waitForSelector('#tune-msg.error', { timeout: 5000 }).catch(() => null);
  const pqMsg = (await page.textContent('#tune-msg')).trim();
  const legend = (await page.textContent('#dev-legend')).replace(/\s+/g, ' ');
  check(pqShown && /rms/.test(legend) && /freq/.test(legend) && /thd/.test(legend),
    `selecting pq-01 shows its channels (${legend.trim()})`);
  check(/No recording to tune with/.test(pqMsg), `tuning says why it cannot replay pq-01: ${pqMsg}`);
  const pqShot = SHOT.replace(/\.png$/, '-pq.png');
  await page.screenshot({ path: pqShot, fullPage: true });
  ok(`screenshot ${pqShot}`);
  // Back to the first device with the keyboard: focus its row and press Enter.
  await page.focus(`#fleet tr[data-device="${DEVICE}"]`);
  await page.keyboard.press('Enter');
  const backSel = await page
    .waitForFunction((d) => document.querySelector('#dev-name').textContent === d, DEVICE, { timeout: 10000 })
    .then(() => true, () => false);
  check(backSel, `Enter on a focused fleet row selects ${DEVICE}`, await page.textContent('#dev-name'));

  // The same page on a narrow screen (one column).
  await page.setViewportSize({ width: 760, height: 1000 });
  await page.waitForTimeout(400);
  const narrow = SHOT.replace(/\.png$/, '-narrow.png');
  await page.screenshot({ path: narrow, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `narrow screenshot ${narrow}, no horizontal overflow`, `${overflow} px wider than the window`);

  // 7. The collector restarts: the page says the stream is down, reconnects by itself, and an
  // event published meanwhile (held by the broker for the collector's session) shows up.
  const metrics = await (await fetch(`${URL_}/metrics`)).text();
  check(/^vigil_collector_commands_sent_total [1-9]/m.test(metrics), 'the collector counted the command it sent');
  process.kill(CPID, 'SIGTERM');
  const gone = await until(() => !alive(CPID), 15000);
  check(gone, 'collector stopped for the restart check');
  const down = await page.waitForSelector('#live:not([data-state="live"])', { timeout: 5000 }).then(() => true, () => false);
  check(down, `the page shows the stream is down ("${(await page.textContent('#live-text')).trim()}")`);
  const gap = eventMsg(1100, 'open', 4000);
  const gapKey = `${DEVICE}/${BOOT}/${gap.seq}`;
  await pub(`vigil/${DEVICE}/event`, gap);
  child = spawn(CCMD[0], CCMD.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => (childLog += d));
  const t1 = Date.now();
  const back = await page.waitForSelector('#live[data-state="live"]', { timeout: 15000 }).then(() => true, () => false);
  check(back, `the page reconnected ${Date.now() - t1} ms after the collector was started again`, childLog);
  const gapRow = await page.waitForSelector(`#events tr[data-key="${gapKey}"]`, { timeout: 10000, state: 'attached' }).then(() => true, () => false);
  check(gapRow, 'the event published while the collector was down is in the log after the reconnect');
  const grows = Number(await page.getAttribute('#chart-signal', 'data-points'));
  const moving = await page
    .waitForFunction((n) => Number(document.querySelector('#chart-signal').dataset.points) > n, grows, { timeout: 8000 })
    .then(() => true, () => false);
  check(moving, 'live telemetry reaches the chart again');
  check(errors.length === 0, 'still no errors in the page', errors.join(' | '));
} catch (e) {
  bad(`browser run: ${e.message.split('\n')[0]}`);
} finally {
  if (browser) await browser.close();
  if (child) {
    child.kill('SIGTERM');
    const code = await new Promise((res) => (child.exitCode !== null ? res(child.exitCode) : child.on('close', res)));
    check(code === 0, 'the restarted collector stopped cleanly', `exit ${code}: ${childLog.slice(-300)}`);
  }
}
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(fails ? 1 : 0);
