// SPDX-License-Identifier: MIT
// The Vigil fleet dashboard: wires the API and the live stream to the four views.
// The stream is opened before the history is read, and every view drops what it has
// already seen (device, boot, seq), so nothing falls between the two.
import './style.css';
import { get, stream } from './api.js';
import { $ } from './format.js';
import { Fleet } from './fleet.js';
import { EventLog } from './events.js';
import { LiveCharts } from './live.js';
import { Tuning } from './tuning.js';

const live = new LiveCharts();
const tuning = new Tuning();
let telemetryBuffer = null; // stream messages of the selected device while its history loads
let loading = null; // the showTelemetry() call that owns telemetryBuffer

async function select(device) {
  if (fleet.selected !== device) {
    fleet.select(device);
    return;
  }
  history.replaceState(null, '', `#device=${encodeURIComponent(device)}`);
  await showTelemetry(device);
  if (fleet.selected !== device) return; // another device was chosen meanwhile
  const d = fleet.devices.get(device);
  tuning.setDevice(device, d ? d.threshold : null);
}

/** The charts of @p device: its stored history, then what the stream brought meanwhile. */
async function showTelemetry(device) {
  const me = {};
  loading = me;
  telemetryBuffer = [];
  let rows = [];
  try {
    rows = (await get('telemetry', { device, limit: 2000 })).map((r) => r.msg).reverse();
  } catch (e) {
    console.error(`telemetry history: ${e.message}`);
  }
  if (loading !== me) return; // a later call owns the buffer now
  loading = null;
  live.setDevice(device, rows);
  for (const [d, m] of telemetryBuffer) live.push(d, m);
  telemetryBuffer = null;
}

const fleet = new Fleet((id) => select(id));
const events = new EventLog((id) => fleet.select(id));

let connected = false;
function setLive(state) {
  // After a reconnect, read what was stored meanwhile (the views drop what they have).
  if (state === 'live' && connected === null) resync();
  if (state === 'live') connected = true;
  else if (connected) connected = null;
  const el = $('live');
  el.dataset.state = state;
  $('live-text').textContent = state === 'live' ? 'live' : state === 'closed' ? 'disconnected' : 'reconnecting…';
}

stream(
  {
    status: (d, m) => fleet.status(d, m),
    telemetry: (d, m) => {
      fleet.seen(d, Date.now());
      if (telemetryBuffer && d === fleet.selected) telemetryBuffer.push([d, m]);
      else live.push(d, m);
    },
    event: (d, m) => {
      fleet.seen(d, Date.now());
      fleet.event(d, m);
      events.add(d, m, true);
    },
    ack: (d, m) => {
      fleet.seen(d, Date.now());
      tuning.ack(d, m);
    },
  },
  setLive,
);

/** Read the devices and the newest events; @returns false when the collector is unreachable. */
async function load() {
  let devices = [];
  let evs = [];
  try {
    [devices, evs] = await Promise.all([get('devices'), get('events', { limit: 1000 })]);
  } catch (e) {
    $('summary').textContent = `Cannot reach the collector: ${e.message}`;
    return false;
  }
  for (const r of devices) fleet.loadRow(r);
  // Oldest first, so an open followed by its close leaves the event closed.
  for (const r of evs.slice().reverse()) {
    if (events.has(r.device, r.msg)) continue;
    fleet.event(r.device, r.msg);
    events.add(r.device, r.msg, false);
  }
  events.empty();
  fleet.render();
  return true;
}

async function resync() {
  if (!(await load())) return;
  if (fleet.selected) await showTelemetry(fleet.selected);
}

async function start() {
  if (!(await load())) return;
  const want = new URLSearchParams(location.hash.slice(1)).get('device');
  const ids = [...fleet.devices.keys()].sort();
  const first = (want && fleet.devices.has(want) && want) || ids.find((id) => fleet.devices.get(id).state === 'online') || ids[0];
  if (first) fleet.select(first);
}

window.addEventListener('hashchange', () => {
  const want = new URLSearchParams(location.hash.slice(1)).get('device');
  if (want && fleet.devices.has(want)) fleet.select(want);
});

start();
