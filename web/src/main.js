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

async function select(device) {
  if (fleet.selected !== device) {
    fleet.select(device);
    return;
  }
  history.replaceState(null, '', `#device=${encodeURIComponent(device)}`);
  telemetryBuffer = [];
  let rows = [];
  try {
    rows = (await get('telemetry', { device, limit: 2000 })).map((r) => r.msg).reverse();
  } catch (e) {
    console.error(`telemetry history: ${e.message}`);
  }
  if (fleet.selected !== device) return;
  live.setDevice(device, rows);
  for (const [d, m] of telemetryBuffer) live.push(d, m);
  telemetryBuffer = null;
  const d = fleet.devices.get(device);
  tuning.setDevice(device, d ? d.threshold : null);
}

const fleet = new Fleet((id) => select(id));
const events = new EventLog((id) => fleet.select(id));

function setLive(state) {
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

async function start() {
  let devices = [];
  let evs = [];
  try {
    [devices, evs] = await Promise.all([get('devices'), get('events', { limit: 1000 })]);
  } catch (e) {
    $('summary').textContent = `Cannot reach the collector: ${e.message}`;
    return;
  }
  for (const r of devices) fleet.loadRow(r);
  // Oldest first, so an open followed by its close leaves the event closed.
  for (const r of evs.slice().reverse()) {
    fleet.event(r.device, r.msg);
    events.add(r.device, r.msg, false);
  }
  events.empty();
  fleet.render();
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
